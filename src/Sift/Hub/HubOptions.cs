namespace Sift.Hub;

/// <summary>
/// Hub settings, by default from the environment variables huggingface_hub reads: HF_ENDPOINT,
/// HF_TOKEN (or HUGGING_FACE_HUB_TOKEN), HF_HUB_OFFLINE, HF_HUB_CACHE, HF_HOME; and for ModelScope
/// MODELSCOPE_ENDPOINT and MODELSCOPE_CACHE.
/// </summary>
public sealed record HubOptions
{
    /// <summary>The default Hugging Face endpoint.</summary>
    public const string HuggingFaceEndpoint = "https://huggingface.co";

    /// <summary>The default ModelScope endpoint.</summary>
    public const string ModelScopeEndpoint = "https://www.modelscope.cn";

    /// <summary>Which hub.</summary>
    public HubKind Kind { get; init; } = HubKind.HuggingFace;

    /// <summary>The hub's base URL.</summary>
    public required string Endpoint { get; init; }

    /// <summary>A bearer token for gated or private repositories.</summary>
    public string? Token { get; init; }

    /// <summary>Never contact the hub; resolve from the cache only.</summary>
    public bool Offline { get; init; }

    /// <summary>The cache root (the "hub" folder of huggingface_hub's layout).</summary>
    public required string CacheDirectory { get; init; }

    /// <summary>The default read timeout, huggingface_hub's (HF_HUB_DOWNLOAD_TIMEOUT).</summary>
    public static readonly TimeSpan DefaultReadTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long a request may wait for its answer, and a download for its next bytes, before the attempt fails.</summary>
    public TimeSpan ReadTimeout { get; init; } = DefaultReadTimeout;

    /// <summary>Settings from the environment for a hub.</summary>
    public static HubOptions FromEnvironment(HubKind kind = HubKind.HuggingFace, IReadOnlyDictionary<string, string?>? environment = null)
    {
        string? Get(string name) => environment is null ? Environment.GetEnvironmentVariable(name) : environment.GetValueOrDefault(name);
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var timeout = double.TryParse(Get("HF_HUB_DOWNLOAD_TIMEOUT"), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture,
            out var seconds) && seconds > 0 ? TimeSpan.FromSeconds(seconds) : DefaultReadTimeout;
        if (kind == HubKind.ModelScope)
        {
            return new HubOptions
            {
                Kind = kind,
                Endpoint = (Get("MODELSCOPE_ENDPOINT") ?? ModelScopeEndpoint).TrimEnd('/'),
                Token = Get("MODELSCOPE_API_TOKEN"),
                Offline = IsTrue(Get("HF_HUB_OFFLINE")),
                CacheDirectory = Get("MODELSCOPE_CACHE") ?? Path.Combine(home, ".cache", "modelscope", "hub"),
                ReadTimeout = timeout,
            };
        }
        var hfHome = Get("HF_HOME") ?? Path.Combine(Get("XDG_CACHE_HOME") ?? Path.Combine(home, ".cache"), "huggingface");
        return new HubOptions
        {
            Kind = kind,
            Endpoint = (Get("HF_ENDPOINT") ?? HuggingFaceEndpoint).TrimEnd('/'),
            Token = Get("HF_TOKEN") ?? Get("HUGGING_FACE_HUB_TOKEN"),
            Offline = IsTrue(Get("HF_HUB_OFFLINE")),
            CacheDirectory = Get("HF_HUB_CACHE") ?? Path.Combine(hfHome, "hub"),
            ReadTimeout = timeout,
        };
    }

    private static bool IsTrue(string? value) => value is not null && value.Trim().ToUpperInvariant() is "1" or "ON" or "YES" or "TRUE";
}
