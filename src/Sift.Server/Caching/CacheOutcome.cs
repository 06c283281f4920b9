namespace Sift.Server.Caching;

/// <summary>Where one keyed result came from.</summary>
internal enum CacheOutcome
{
    /// <summary>The cache held it.</summary>
    Hit,

    /// <summary>Nobody had it: this request computed it (and stored it, unless it was not to be kept).</summary>
    Computed,

    /// <summary>
    /// Not cached, but a concurrent request for the same key was already computing it: this request
    /// waited for that computation and answered its result.
    /// </summary>
    Shared,
}
