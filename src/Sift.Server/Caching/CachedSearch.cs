using System.ComponentModel;
using Sift.Retrieval;

namespace Sift.Server.Caching;

/// <summary>
/// A finished collection search as cached: everything its response says except the timings (a hit
/// reports its own). Only searches that did not fall back are cached, so a reranker's outage never
/// outlives itself in the cache.
/// </summary>
[ImmutableObject(true)]
internal sealed class CachedSearch(SearchResponse response)
{
    /// <summary>The search's response, timings zeroed.</summary>
    public SearchResponse Response { get; } = response with { Timings = new SearchTimings(0, 0, 0, 0) };

    /// <summary>The response as a hit answers it: the cached results with the lookup's own time as the total.</summary>
    public SearchResponse Answer(double lookupMilliseconds) => Response with { Timings = new SearchTimings(0, 0, 0, lookupMilliseconds) };
}
