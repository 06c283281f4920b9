using Sift.Server.Hosting;

namespace Sift.Server.Caching;

/// <summary>The fingerprints (<see cref="ModelFingerprint"/>) of the served models, read once, on first use.</summary>
internal sealed class ModelIdentities
{
    private readonly Lazy<string> _embedding;
    private readonly Lazy<string> _reranker;

    public ModelIdentities(ServerOptions options)
    {
        var (embedding, reranker) = ModelRegistry.ResolveKinds(options);
        _embedding = new(() => ModelFingerprint.Of(embedding ?? throw new InvalidOperationException("this server has no embedding model"), options.Quantize));
        _reranker = new(() => ModelFingerprint.Of(reranker ?? throw new InvalidOperationException("this server has no reranker"), options.Quantize));
    }

    public string Embedding => _embedding.Value;

    public string Reranker => _reranker.Value;
}
