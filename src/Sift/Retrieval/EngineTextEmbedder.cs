using Sift.Engine;
using Sift.Tokenization;

namespace Sift.Retrieval;

/// <summary>The in-process engine as an <see cref="ITextEmbedder"/> (the CLI's path; the server batches through its scheduler instead).</summary>
public sealed class EngineTextEmbedder(Embedder embedder) : ITextEmbedder
{
    /// <inheritdoc />
    public string ModelName => embedder.Name;

    /// <inheritdoc />
    public int MaxDimensions => embedder.Dimensions;

    /// <inheritdoc />
    public int MaxLength => embedder.MaxLength;

    /// <inheritdoc />
    public Tokenizer Tokenizer => embedder.Tokenizer;

    /// <inheritdoc />
    public Task<TextEmbeddings> EmbedAsync(IReadOnlyList<EmbeddingInput> inputs, int dimensions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        cancellationToken.ThrowIfCancellationRequested();
        var results = embedder.Embed(inputs, new EmbedOptions { Dimensions = dimensions, Truncate = false });
        return Task.FromResult(new TextEmbeddings(results.Select(r => r.Vector).ToArray(), results.Sum(r => r.TokenCount)));
    }
}
