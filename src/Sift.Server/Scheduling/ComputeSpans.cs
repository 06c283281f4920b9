using System.Diagnostics;
using Sift.Telemetry;

namespace Sift.Server.Scheduling;

/// <summary>
/// The spans of one scheduled computation: for each request it serves, <c>sift.queue</c> (from the
/// request's enqueueing to now) and <c>sift.compute</c> (from now to <see cref="Dispose"/>), both
/// under the request's own span. The first request's compute span is current while the engine
/// runs, so the engine's <c>sift.forward</c> spans nest under it. Nothing is made without a listener.
/// </summary>
internal sealed class ComputeSpans : IDisposable
{
    private readonly Activity?[] _computes;

    private ComputeSpans(Activity?[] computes) => _computes = computes;

    /// <summary>Starts the spans, or returns null when nobody listens.</summary>
    public static ComputeSpans? Start(string model, IReadOnlyCollection<ScheduledRequest> requests, int sequences, int tokens)
    {
        if (!SiftTelemetry.ActivitySource.HasListeners())
        {
            return null;
        }
        var now = DateTimeOffset.UtcNow;
        var computes = new Activity?[requests.Count];
        var i = 0;
        foreach (var request in requests)
        {
            var enqueued = now - Stopwatch.GetElapsedTime(request.Enqueued);
            using (var queue = SiftTelemetry.ActivitySource.StartActivity("sift.queue", ActivityKind.Internal, request.Parent, startTime: enqueued))
            {
                queue?.SetTag("sift.model", model);
            }
            computes[i++] = SiftTelemetry.ActivitySource.StartActivity("sift.compute", ActivityKind.Internal, request.Parent)?
                .SetTag("sift.model", model)
                .SetTag("sift.batch.sequences", sequences)
                .SetTag("sift.batch.tokens", tokens)
                .SetTag("sift.batch.requests", requests.Count);
        }
        Activity.Current = computes[0];
        return new ComputeSpans(computes);
    }

    /// <summary>Marks every compute span failed.</summary>
    public void Fail(Exception exception)
    {
        foreach (var compute in _computes)
        {
            compute?.SetStatus(ActivityStatusCode.Error, exception.Message);
        }
    }

    public void Dispose()
    {
        foreach (var compute in _computes)
        {
            compute?.Dispose();
        }
        Activity.Current = null;
    }
}
