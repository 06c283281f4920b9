namespace Sift.Server.Errors;

/// <summary>What a request did, for its log line: set by the route, read once the response is done.</summary>
internal sealed class RequestStats
{
    public int Inputs { get; set; }

    public int Tokens { get; set; }

    public double QueueMilliseconds { get; set; }

    public double ComputeMilliseconds { get; set; }
}
