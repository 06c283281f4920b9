namespace Sift.Server.Hosting;

/// <summary>When the server started, for the "created" field of /v1/models.</summary>
internal sealed class ServerClock
{
    public long StartedUnixSeconds { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
}
