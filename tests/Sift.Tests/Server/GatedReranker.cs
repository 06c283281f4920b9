using Sift.Retrieval;

namespace Sift.Tests.Server;

/// <summary>
/// Put around the served reranker (RetrievalHost.RerankerDecorator): a slow reranker. Each call waits
/// until the test opens the gate (or the caller's token is cancelled), then scores with the real one.
/// </summary>
internal sealed class GatedReranker(IPassageReranker inner) : IPassageReranker
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _cancelled;

    public string ModelName => inner.ModelName;

    /// <summary>Calls that were cancelled (the deadline told the reranker to stop) while waiting.</summary>
    public int Cancelled => Volatile.Read(ref _cancelled);

    public void Open() => _gate.TrySetResult();

    public async Task<PassageScores> ScoreAsync(string query, IReadOnlyList<string> passages, string? instruction, CancellationToken cancellationToken)
    {
        try
        {
            await _gate.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            Interlocked.Increment(ref _cancelled);
            throw;
        }
        return await inner.ScoreAsync(query, passages, instruction, cancellationToken);
    }
}
