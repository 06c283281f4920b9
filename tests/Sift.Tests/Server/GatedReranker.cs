using Sift.Retrieval;

namespace Sift.Tests.Server;

/// <summary>
/// A slow reranker, put around the served one (RetrievalHost.RerankerDecorator = gate.Wrap): each call
/// waits until the test opens the gate (or the caller's token is cancelled), then scores with the real one.
/// </summary>
internal sealed class GatedReranker
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _cancelled;

    /// <summary>Calls that were cancelled (the deadline told the reranker to stop) while waiting.</summary>
    public int Cancelled => Volatile.Read(ref _cancelled);

    public void Open() => _gate.TrySetResult();

    public IPassageReranker Wrap(IPassageReranker inner) => new Gated(this, inner);

    private sealed class Gated(GatedReranker owner, IPassageReranker inner) : IPassageReranker
    {
        public string ModelName => inner.ModelName;

        public async Task<PassageScores> ScoreAsync(string query, IReadOnlyList<string> passages, string? instruction, CancellationToken cancellationToken)
        {
            try
            {
                await owner._gate.Task.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref owner._cancelled);
                throw;
            }
            return await inner.ScoreAsync(query, passages, instruction, cancellationToken);
        }
    }
}
