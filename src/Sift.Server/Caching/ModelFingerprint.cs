using System.Security.Cryptography;
using Sift.Kernels;

namespace Sift.Server.Caching;

/// <summary>
/// What a cached result depends on besides its inputs: the model's files, the weight format the
/// server keeps them in, and the engine build. Replicas serving the same files from the same
/// build share cache entries; another checkpoint, revision, --quantize or engine never reads them.
/// </summary>
internal static class ModelFingerprint
{
    /// <summary>
    /// Weight files are read at both ends only: their headers name every tensor and their bytes at
    /// the ends differ between any two checkpoints, while reading gigabytes would delay the first request.
    /// </summary>
    private const int SampledBytes = 1 << 20;

    /// <summary>A hex digest of the model at <paramref name="path"/> (a directory or a .gguf file) as this server runs it.</summary>
    public static string Of(string path, WeightFormat? quantize)
    {
        using var hash = new CacheKey("model");
        // The engine assembly's module id changes with its code (the build is deterministic), so a
        // kernel change that moves a bit in any result starts a fresh cache.
        hash.Add(typeof(Engine.Embedder).Assembly.ManifestModule.ModuleVersionId.ToString());
        hash.Add(quantize?.ToString());
        var files = File.Exists(path) ? [path] : Directory.GetFiles(path).Order(StringComparer.Ordinal).ToArray();
        foreach (var file in files)
        {
            hash.Add(Path.GetFileName(file));
            AddContent(hash, file);
        }
        return hash.ToString();
    }

    private static void AddContent(CacheKey hash, string file)
    {
        using var stream = File.OpenRead(file);
        hash.Add(stream.Length);
        if (stream.Length <= 2 * SampledBytes)
        {
            hash.Add(Convert.ToHexString(SHA256.HashData(stream)));
            return;
        }
        var buffer = new byte[SampledBytes];
        stream.ReadExactly(buffer);
        hash.Add(Convert.ToHexString(SHA256.HashData(buffer)));
        stream.Seek(-SampledBytes, SeekOrigin.End);
        stream.ReadExactly(buffer);
        hash.Add(Convert.ToHexString(SHA256.HashData(buffer)));
    }
}
