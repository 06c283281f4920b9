using Sift.Hub;
using Sift.Qwen3;

namespace Sift.Server.Hosting;

/// <summary>
/// What /v1/models and the start-up log tell about one served model: its kind, limits, weights and
/// exact identity. The weight files' digests are computed in the background after loading (a hub
/// cache names them already; other files are read once), so they appear once ready; so does the
/// model's cache fingerprint, built from them (results are not cached until then).
/// </summary>
internal sealed class ServedModelDescription
{
    private volatile ModelProvenance _provenance;
    private volatile string? _fingerprint;

    public ServedModelDescription(IReadOnlyList<string> names, string kind, string path, Qwen3Model model, int maxLength)
    {
        Names = names;
        Kind = kind;
        Path = path;
        Model = model;
        MaxLength = maxLength;
        _provenance = ModelProvenance.Read(path, hash: false);
    }

    public IReadOnlyList<string> Names { get; }

    public string Kind { get; }

    public string Path { get; }

    public Qwen3Model Model { get; }

    public int MaxLength { get; }

    /// <summary>The revision at once; the digests once <see cref="HashAsync"/> has run.</summary>
    public ModelProvenance Provenance => _provenance;

    /// <summary>The model's <see cref="Caching.ModelFingerprint"/> once <see cref="HashAsync"/> has run; null before, or when hashing failed.</summary>
    public string? Fingerprint => _fingerprint;

    /// <summary>Computes the weight files' SHA-256, then the fingerprint, off the request path.</summary>
    public Task HashAsync(Kernels.WeightFormat? quantize) => Task.Run(() =>
    {
        var provenance = ModelProvenance.Read(Path, hash: true);
        // The fingerprint first: once /v1/models lists the digests, results are cached.
        _fingerprint = Caching.ModelFingerprint.Of(provenance, Path, quantize);
        _provenance = provenance;
    });
}
