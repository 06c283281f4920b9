using Sift.Engine;
using Sift.Tokenization;

namespace Sift.Retrieval;

/// <summary>
/// The embedding model as the retrieval stages see it: documents and queries in, unit vectors at a
/// Matryoshka size out. The engine (in process) and the server's batching scheduler implement it;
/// a cache wraps it as a decorator.
/// </summary>
public interface ITextEmbedder
{
    /// <summary>The model's name, which a collection records and later requires.</summary>
    string ModelName { get; }

    /// <summary>The model's full embedding width (the largest Matryoshka size).</summary>
    int MaxDimensions { get; }

    /// <summary>The longest input in tokens, end-of-text included.</summary>
    int MaxLength { get; }

    /// <summary>The model's tokenizer, which chunking counts with.</summary>
    Tokenizer Tokenizer { get; }

    /// <summary>
    /// Unit vectors of <paramref name="dimensions"/> components for each input, in order: exactly what
    /// /v1/embeddings returns for the same inputs. Inputs over <see cref="MaxLength"/> are refused (400).
    /// </summary>
    Task<TextEmbeddings> EmbedAsync(IReadOnlyList<EmbeddingInput> inputs, int dimensions, CancellationToken cancellationToken);
}
