using Sift.Engine;
using Sift.Tokenization;

namespace Sift.Retrieval;

/// <summary>
/// The in-process engine as an <see cref="ITextEmbedder"/> (the CLI's path; the server batches through
/// its scheduler instead). A NaN or infinite embedding is a <see cref="NonFiniteOutputException"/>.
/// </summary>
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
        var options = new EmbedOptions { Dimensions = dimensions, Truncate = false };
        var results = embedder.Embed(inputs, options);
        var vectors = results.Select(r => r.Vector).ToArray();
        // Before anything is stored or searched with it, as the server's collections path does.
        NonFiniteOutputException.ThrowIfAny(embedder.Name, vectors, i => embedder.Model.ExplainNonFinite(embedder.Tokenize(inputs[i], i, options)));
        return Task.FromResult(new TextEmbeddings(vectors, results.Sum(r => r.TokenCount)));
    }
}
