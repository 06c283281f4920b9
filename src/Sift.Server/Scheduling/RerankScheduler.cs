using Sift.Engine;
using Sift.Server.Metrics;

namespace Sift.Server.Scheduling;

/// <summary>
/// Dynamic batching for one reranker (a <see cref="ForwardScheduler"/>): the documents of all
/// concurrent rerank requests share forward passes under the token budget, each request's query
/// prefix held and computed once per pass, so one large request no longer holds up the others and
/// a cancelled request stops between passes.
/// </summary>
internal sealed class RerankScheduler(Reranker reranker, string model, int maxBatchTokens, ServerMetrics metrics) : IDisposable
{
    private readonly ForwardScheduler _scheduler = new(model, maxBatchTokens, metrics,
        (batch, cancellation) => reranker.ComputeHidden(batch, cancellation));

    /// <summary>Final hidden states of each prompt of one request, in order.</summary>
    public Task<BatchResult> SubmitAsync(string query, RerankOptions options, int[][] prompts, CancellationToken cancellationToken) =>
        SubmitAsync(reranker.Sequences(query, options, prompts), cancellationToken);

    /// <summary>Final hidden states of sequences (from <see cref="Reranker.Sequences"/>), in order.</summary>
    public Task<BatchResult> SubmitAsync(IReadOnlyList<ModelSequence> sequences, CancellationToken cancellationToken) =>
        _scheduler.SubmitAsync(sequences, cancellationToken);

    /// <inheritdoc cref="ForwardScheduler.Abort"/>
    public void Abort(Exception reason) => _scheduler.Abort(reason);

    /// <inheritdoc cref="ForwardScheduler.StopThenFree"/>
    public bool StopThenFree(IDisposable model) => _scheduler.StopThenFree(model);

    /// <summary>Stops taking work; requests already queued are still computed.</summary>
    public void Dispose() => _scheduler.Dispose();
}
