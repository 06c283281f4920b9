using Sift.Engine;
using Sift.Retrieval;
using Sift.Tokenization;

namespace Sift.Tests.Server;

/// <summary>
/// A slow embedder, put around the served one (RetrievalHost.EmbedderDecorator = gate.Wrap): each call
/// is counted, waits until the test opens the gate (or the caller's token is cancelled), then embeds with the real one.
/// </summary>
internal sealed class GatedEmbedder
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _calls;
    private int _cancelled;

    /// <summary>Calls made: each is one computation of a search's query embedding.</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Calls whose token was cancelled while they waited.</summary>
    public int Cancelled => Volatile.Read(ref _cancelled);

    public void Open() => _gate.TrySetResult();

    public ITextEmbedder Wrap(ITextEmbedder inner) => new Gated(this, inner);

    private sealed class Gated(GatedEmbedder owner, ITextEmbedder inner) : ITextEmbedder
    {
        public string ModelName => inner.ModelName;

        public int MaxDimensions => inner.MaxDimensions;

        public int MaxLength => inner.MaxLength;

        public Tokenizer Tokenizer => inner.Tokenizer;

        public async Task<TextEmbeddings> EmbedAsync(IReadOnlyList<EmbeddingInput> inputs, int dimensions, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref owner._calls);
            try
            {
                await owner._gate.Task.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref owner._cancelled);
                throw;
            }
            return await inner.EmbedAsync(inputs, dimensions, cancellationToken);
        }
    }
}
