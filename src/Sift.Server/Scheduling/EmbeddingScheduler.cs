using Sift.Engine;
using Sift.Server.Metrics;

namespace Sift.Server.Scheduling;

/// <summary>Dynamic batching for one embedding model (a <see cref="ForwardScheduler"/> over its sequences).</summary>
internal sealed class EmbeddingScheduler(Embedder embedder, string model, int maxBatchTokens, ServerMetrics metrics) : IDisposable
{
    private readonly ForwardScheduler _scheduler = new(model, maxBatchTokens, metrics,
        (batch, cancellation) => embedder.ComputePooled(batch, cancellation));

    /// <summary>Queues sequences and returns their pooled states (final-normalized, not L2-normalized), in order.</summary>
    public Task<BatchResult> SubmitAsync(IReadOnlyList<int[]> sequences, CancellationToken cancellationToken) =>
        _scheduler.SubmitAsync(sequences.Select(s => new ModelSequence(s)).ToArray(), cancellationToken);

    /// <inheritdoc cref="ForwardScheduler.Abort"/>
    public void Abort(Exception reason) => _scheduler.Abort(reason);

    /// <inheritdoc cref="ForwardScheduler.StopThenFree"/>
    public bool StopThenFree(IDisposable model) => _scheduler.StopThenFree(model);

    /// <summary>Stops taking work; sequences already queued are still computed.</summary>
    public void Dispose() => _scheduler.Dispose();
}

/// <summary>Vectors of one request and how long its sequences waited and computed.</summary>
internal sealed record BatchResult(float[][] Vectors, double QueueMilliseconds, double ComputeMilliseconds);
