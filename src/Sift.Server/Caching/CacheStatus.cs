namespace Sift.Server.Caching;

/// <summary>The X-Sift-Cache response header: whether a request's results came from the cache.</summary>
internal static class CacheStatus
{
    public const string Header = "X-Sift-Cache";

    /// <summary>"hit" when every result was cached, "miss" when none was, "partial" in between.</summary>
    public static void Write(HttpContext context, int hits, int total) =>
        context.Response.Headers[Header] = hits == total ? "hit" : hits == 0 ? "miss" : "partial";

    /// <summary>The header for one keyed result: "hit", "miss" (this request computed it) or "shared" (a concurrent identical request computed it).</summary>
    public static void Write(HttpContext context, CacheOutcome outcome) =>
        context.Response.Headers[Header] = outcome switch
        {
            CacheOutcome.Hit => "hit",
            CacheOutcome.Computed => "miss",
            _ => "shared",
        };
}
