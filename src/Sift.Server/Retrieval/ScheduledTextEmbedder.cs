using Sift.Engine;
using Sift.Retrieval;
using Sift.Server.Errors;
using Sift.Server.Hosting;
using Sift.Tokenization;

namespace Sift.Server.Retrieval;

/// <summary>
/// The served embedding model as the retrieval stages' <see cref="ITextEmbedder"/>: inputs go through
/// the model's batching scheduler with every other request's, and come back exactly as /v1/embeddings
/// returns them. An output holding NaN or infinity fails the call with /v1/embeddings' own check
/// (<see cref="NonFiniteOutputException"/>, a 500), before an upsert writes anything or a search reads the store with it.
/// </summary>
internal sealed class ScheduledTextEmbedder(ServedEmbedder model) : ITextEmbedder
{
    public string ModelName => model.Name;

    public int MaxDimensions => model.Embedder.Dimensions;

    public int MaxLength => model.Embedder.MaxLength;

    public Tokenizer Tokenizer => model.Embedder.Tokenizer;

    public async Task<TextEmbeddings> EmbedAsync(IReadOnlyList<EmbeddingInput> inputs, int dimensions, CancellationToken cancellationToken)
    {
        var options = new EmbedOptions { Dimensions = dimensions, Truncate = false };
        var sequences = new int[inputs.Count][];
        for (var i = 0; i < inputs.Count; i++)
        {
            sequences[i] = model.Embedder.Tokenize(inputs[i], i, options);
        }
        var result = await model.Scheduler.SubmitAsync(sequences, cancellationToken);
        NonFiniteOutputException.ThrowIfAny(model.Name, result.Vectors, i => model.Embedder.Model.ExplainNonFinite(sequences[i]));
        return new TextEmbeddings(result.Vectors.Select(v => Embedder.Finish(v, dimensions, normalize: true)).ToArray(), sequences.Sum(s => s.Length));
    }
}
