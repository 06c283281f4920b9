using Sift.Server.Hosting;

namespace Sift.Server.Caching;

/// <summary>
/// The fingerprints (<see cref="ModelFingerprint"/>) of the served models, computed once, after
/// loading, off the request path. Null until then, and for good when the model's files could not be
/// read: a null fingerprint makes a null key, so the model's results are served uncached, never a
/// failed request (a cache concern never fails a request).
/// </summary>
internal sealed class ModelIdentities(ModelRegistry registry)
{
    public string? Embedding => Of("embedding")?.Fingerprint;

    public string? Reranker => Of("rerank")?.Fingerprint;

    /// <summary>The reranker's fingerprint and the longest prompt it reads (prompts are cut to it), null while not known.</summary>
    public (string Fingerprint, int MaxLength)? RerankerIdentity => Of("rerank") is { Fingerprint: { } fingerprint } model ? (fingerprint, model.MaxLength) : null;

    /// <summary>The embedding model's fingerprint and the longest input it reads, null while not known.</summary>
    public (string Fingerprint, int MaxLength)? EmbeddingIdentity => Of("embedding") is { Fingerprint: { } fingerprint } model ? (fingerprint, model.MaxLength) : null;

    private ServedModelDescription? Of(string kind) => registry.Descriptions.FirstOrDefault(d => d.Kind == kind);
}
