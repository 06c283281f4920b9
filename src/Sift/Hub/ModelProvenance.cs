using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Sift.Hub;

/// <summary>
/// Which exact model a path holds: the hub revision (the commit of a Hugging Face or ModelScope
/// cache snapshot) and the SHA-256 of each weight file, the same digest the hub lists for it. In a
/// hub cache a weight file is a link to a blob named by that digest, so nothing is read; any other
/// file is hashed once.
/// </summary>
public sealed partial record ModelProvenance(string? Revision, IReadOnlyList<WeightFileDigest> Files)
{
    /// <summary>The weight files of a model directory or GGUF file, with their revision; digests are computed only when <paramref name="hash"/> is set.</summary>
    public static ModelProvenance Read(string modelPath, bool hash = true)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        var full = Path.GetFullPath(modelPath);
        var files = File.Exists(full) ? [full] : Directory.GetFiles(full, "*.safetensors").Order(StringComparer.Ordinal).ToArray();
        var directory = File.Exists(full) ? Path.GetDirectoryName(full)! : Path.TrimEndingDirectorySeparator(full);
        var snapshot = SnapshotPath().Match(directory.Replace('\\', '/'));
        return new ModelProvenance(snapshot.Success ? snapshot.Groups[1].Value : null,
            files.Select(file => new WeightFileDigest(Path.GetFileName(file), ((FileInfo)Resolve(file)).Length, hash ? Sha256(file) : null)).ToArray());
    }

    /// <summary>The file itself, or what its link (a hub snapshot's link to a blob) points to.</summary>
    private static FileSystemInfo Resolve(string file)
    {
        var info = new FileInfo(file);
        return info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true) ?? info;
    }

    private static string Sha256(string file)
    {
        // A hub blob's name is its etag: the SHA-256 for LFS files (64 hex digits).
        if (Resolve(file) is { } target && target.FullName != Path.GetFullPath(file) && target.Name.Length == 64 && target.Name.All(char.IsAsciiHexDigit))
        {
            return target.Name.ToLowerInvariant();
        }
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>.../snapshots/&lt;revision&gt; as huggingface_hub and ModelScope lay their caches out.</summary>
    [GeneratedRegex("/snapshots/([^/]+)$")]
    private static partial Regex SnapshotPath();
}
