using System.Security.Cryptography;
using Sift.Hub;
using Sift.Kernels;

namespace Sift.Server.Caching;

/// <summary>
/// What a cached result depends on besides its inputs: the model's exact files, the weight format
/// the server keeps them in, the kernel path and the engine build. Replicas serving the same files
/// from the same build on the same kind of CPU share cache entries; another checkpoint (a fine-tune
/// that moved one byte of one tensor included), revision, --quantize, kernel path or engine never
/// reads them.
/// </summary>
internal static class ModelFingerprint
{
    /// <summary>
    /// A hex digest of the model at <paramref name="path"/> (a directory or a .gguf file) as this
    /// server runs it: the revision and every weight file's full SHA-256 from <paramref name="provenance"/>
    /// (read with digests), and the full SHA-256 of the small files beside them (config, tokenizer).
    /// </summary>
    public static string Of(ModelProvenance provenance, string path, WeightFormat? quantize)
    {
        using var hash = new CacheKey("model");
        // The engine assembly's module id changes with its code (the build is deterministic), so a
        // kernel change that moves a bit in any result starts a fresh cache.
        hash.Add(typeof(Engine.Embedder).Assembly.ManifestModule.ModuleVersionId.ToString());
        // The fp32 paths agree within 1e-5, not bitwise: a hit must answer this CPU's bits.
        hash.Add(KernelPath.Current.ToString());
        hash.Add(quantize?.ToString());
        hash.Add(provenance.Revision);
        foreach (var file in provenance.Files)
        {
            hash.Add(file.Name).Add(file.Bytes).Add(file.Sha256 ?? throw new ArgumentException($"{path}: the weight file {file.Name} has no digest yet", nameof(provenance)));
        }
        if (Directory.Exists(path))
        {
            foreach (var file in Directory.GetFiles(path, "*.json").Order(StringComparer.Ordinal))
            {
                hash.Add(Path.GetFileName(file));
                using var stream = File.OpenRead(file);
                hash.Add(Convert.ToHexStringLower(SHA256.HashData(stream)));
            }
        }
        return hash.ToString();
    }
}
