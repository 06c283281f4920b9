using Sift.Engine;
using Sift.Retrieval;

namespace Sift.Cli.Commands;

/// <summary>The models a retrieval command searches with: the embedding model and, when given, the reranker, loaded alike.</summary>
internal sealed class RetrievalModels : IDisposable
{
    private RetrievalModels(Embedder embedder, Reranker? reranker)
    {
        Embedder = embedder;
        Reranker = reranker;
        TextEmbedder = new EngineTextEmbedder(embedder);
        PassageReranker = reranker is null ? null : new EnginePassageReranker(reranker);
    }

    public Embedder Embedder { get; }

    public Reranker? Reranker { get; }

    /// <summary>The embedding model as the retrieval library takes it.</summary>
    public ITextEmbedder TextEmbedder { get; }

    /// <summary>The reranker as the retrieval library takes it, or null.</summary>
    public IPassageReranker? PassageReranker { get; }

    /// <summary>Resolves (local path or hub id) and loads the models, with the same weight format for both.</summary>
    public static async Task<RetrievalModels> LoadAsync(string model, string? reranker, string? quantize, string? hub, CliStreams streams,
        CancellationToken cancellationToken)
    {
        var format = SiftCli.Quantize(quantize);
        var embedderPath = await ModelLocator.ResolveAsync(model, hub, streams, cancellationToken);
        var rerankerPath = reranker is null ? null : await ModelLocator.ResolveAsync(reranker, hub, streams, cancellationToken);
        var embedder = Embedder.Load(new ModelOptions { Model = embedderPath, Quantize = format });
        try
        {
            return new RetrievalModels(embedder, rerankerPath is null ? null : Reranker.Load(new ModelOptions { Model = rerankerPath, Quantize = format }));
        }
        catch
        {
            embedder.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Embedder.Dispose();
        Reranker?.Dispose();
    }
}
