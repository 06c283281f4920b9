using Cloud.Unum.USearch;

namespace Sift.Retrieval.Stores.Embedded;

/// <summary>
/// The approximate-nearest-neighbour index over a collection's vectors: USearch's HNSW, cosine
/// metric, vectors kept as bf16 inside the graph (the exact float32 vectors stay in the
/// <see cref="VectorArena"/>, which rescores every candidate, so the narrower copy costs no score
/// precision). Not thread-safe for writes; searches may run together.
/// </summary>
internal sealed class AnnIndex : IDisposable
{
    /// <summary>Graph degree (HNSW M): USearch's default; 16 keeps recall@10 ≥ 0.95 at 100k × 1024 (docs/benchmarks.md).</summary>
    private const ulong Connectivity = 16;

    /// <summary>Candidates explored while inserting (efConstruction): USearch's default.</summary>
    private const ulong ExpansionAdd = 128;

    /// <summary>
    /// Candidates explored per search (ef). USearch's C# binding fixes it at creation, so it is set
    /// for the default top_k of 100 with room; a larger k widens the search to k.
    /// </summary>
    private const ulong ExpansionSearch = 160;

    private static readonly Lazy<string?> MissingNative = new(ProbeNative);
    private readonly USearchIndex _index;

    private AnnIndex(USearchIndex index) => _index = index;

    /// <summary>Null when USearch runs on this platform, else why not (no native library for it).</summary>
    public static string? Unavailable => MissingNative.Value;

    public long Count => (long)_index.Size();

    public static AnnIndex Create(int dimensions) =>
        new(new USearchIndex(MetricKind.Cos, ScalarKind.BFloat16, (ulong)dimensions, Connectivity, ExpansionAdd, ExpansionSearch, multi: false));

    /// <summary>Loads a saved index (the caller checks the file's checksum first: the native loader trusts its input).</summary>
    public static AnnIndex Load(string path) => new(new USearchIndex(path, view: false));

    public void Add(long key, float[] vector) => _index.Add((ulong)key, vector);

    public void Remove(long key) => _index.Remove((ulong)key);

    public bool Contains(long key) => _index.Contains((ulong)key);

    /// <summary>Keys of about the <paramref name="k"/> nearest vectors.</summary>
    public long[] Search(float[] query, int k)
    {
        var found = _index.Search(query, k, out var keys, out _);
        return keys.Take(found).Select(key => (long)key).ToArray();
    }

    public void Save(string path) => _index.Save(path);

    public void Dispose() => _index.Dispose();

    private static string? ProbeNative()
    {
        try
        {
            _ = USearchCapabilities.Version();
            return null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException or TypeInitializationException)
        {
            return $"USearch has no native library for {System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier} ({e.GetType().Name})";
        }
    }
}
