using System.Diagnostics;

namespace Sift.Server.Scheduling;

/// <summary>One request's place in a scheduler: when it was queued and the span it runs under (for its queue and compute spans).</summary>
internal sealed class ScheduledRequest
{
    /// <summary>Captures the current time and activity (call on the request's own path).</summary>
    public ScheduledRequest() => Parent = Activity.Current?.Context ?? default;

    public long Enqueued { get; } = Stopwatch.GetTimestamp();

    public ActivityContext Parent { get; }
}
