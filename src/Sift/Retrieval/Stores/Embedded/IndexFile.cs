using System.Security.Cryptography;
using System.Text.Json;

namespace Sift.Retrieval.Stores.Embedded;

/// <summary>
/// A collection's saved ANN index: <c>collection-ID.usearch</c> and a manifest <c>collection-ID.json</c>
/// naming the write version it reflects, its vector count and the index file's SHA-256. The manifest
/// is written last (both by atomic rename), so a crash leaves either a consistent pair or a stale one;
/// a stale, truncated or corrupted pair is found before the native loader reads it, and rebuilt.
/// </summary>
internal sealed class IndexFile(string directory, long collectionId)
{
    private string IndexPath => Path.Combine(directory, $"collection-{collectionId}.usearch");

    private string ManifestPath => Path.Combine(directory, $"collection-{collectionId}.json");

    public void Save(AnnIndex index, long writeVersion, long count)
    {
        Directory.CreateDirectory(directory);
        var temporary = IndexPath + ".tmp";
        index.Save(temporary);
        var hash = Convert.ToHexString(Hash(temporary));
        File.Move(temporary, IndexPath, overwrite: true);
        var manifest = JsonSerializer.Serialize(new Manifest(writeVersion, count, hash));
        File.WriteAllText(ManifestPath + ".tmp", manifest);
        File.Move(ManifestPath + ".tmp", ManifestPath, overwrite: true);
    }

    /// <summary>The saved index when it matches <paramref name="writeVersion"/> and <paramref name="count"/>; else null and why.</summary>
    public (AnnIndex? Index, string? Problem) TryLoad(long writeVersion, long count)
    {
        if (!File.Exists(ManifestPath) || !File.Exists(IndexPath))
        {
            return (null, "no saved index");
        }
        Manifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<Manifest>(File.ReadAllText(ManifestPath));
        }
        catch (JsonException e)
        {
            return (null, $"its manifest is unreadable ({e.Message})");
        }
        if (manifest is null || manifest.WriteVersion != writeVersion || manifest.Count != count)
        {
            return (null, $"it reflects write version {manifest?.WriteVersion} with {manifest?.Count} vectors; the database is at {writeVersion} with {count}");
        }
        if (!string.Equals(Convert.ToHexString(Hash(IndexPath)), manifest.Sha256, StringComparison.Ordinal))
        {
            return (null, $"{IndexPath} is corrupted (its SHA-256 differs from the manifest's)");
        }
        try
        {
            var index = AnnIndex.Load(IndexPath);
            if (index.Count != count)
            {
                index.Dispose();
                return (null, $"{IndexPath} holds {index.Count} vectors, not {count}");
            }
            return (index, null);
        }
        catch (Cloud.Unum.USearch.USearchException e)
        {
            return (null, $"{IndexPath} cannot be loaded ({e.Message})");
        }
    }

    public void Delete()
    {
        if (!Directory.Exists(directory))
        {
            return;
        }
        foreach (var path in new[] { IndexPath, ManifestPath, IndexPath + ".tmp", ManifestPath + ".tmp" })
        {
            File.Delete(path);
        }
    }

    private static byte[] Hash(string path)
    {
        using var stream = File.OpenRead(path);
        return SHA256.HashData(stream);
    }

    private sealed record Manifest(long WriteVersion, long Count, string Sha256);
}
