using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Sift.Server.Caching;

namespace Sift.Tests.Server;

/// <summary>Collections and searches on a test server, for the search cache and fallback tests.</summary>
internal static partial class SearchServer
{
    internal static readonly (string Id, string Text)[] Corpus =
    [
        ("beijing", "Beijing is the capital of China and its political centre."),
        ("gravity", "Gravity is a force that attracts two bodies towards each other."),
        ("paris", "Paris is the capital and most populous city of France."),
        ("shanghai", "上海是中国最大的城市，也是重要的金融中心。"),
        ("photosynthesis", "Plants turn light, water and carbon dioxide into sugar and oxygen."),
    ];

    /// <summary>A new collection (a fresh name) holding <see cref="Corpus"/>.</summary>
    public static async Task<string> NewCollectionAsync(TestServer server, bool hybrid = false)
    {
        var name = $"s{Guid.NewGuid():N}"[..16];
        using var created = await server.PostJsonAsync("/v1/collections", new { name, dimensions = 48, hybrid });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await UpsertAsync(server, name, Corpus);
        return name;
    }

    public static async Task UpsertAsync(TestServer server, string name, IEnumerable<(string Id, string Text)> documents)
    {
        using var response = await server.PostJsonAsync($"/v1/collections/{name}/documents", new { documents = documents.Select(d => new { id = d.Id, text = d.Text }) });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>The body (text), its X-Sift-Cache header (null when absent) and the parsed body; fails on a non-2xx.</summary>
    public static async Task<(string Body, string? Cache, JsonElement Json)> SearchAsync(TestServer server, string name, object body)
    {
        using var response = await server.PostJsonAsync($"/v1/collections/{name}/search", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        var cache = response.Headers.TryGetValues(CacheStatus.Header, out var values) ? values.Single() : null;
        return (text, cache, JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>The body with its timings blanked: what a cache hit must repeat byte for byte.</summary>
    public static string WithoutTimings(string body)
    {
        var blanked = TimingsPattern().Replace(body, "\"timings_ms\":{}");
        Assert.NotEqual(body, blanked);
        return blanked;
    }

    public static string[] Ids(JsonElement json) => json.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetString()!).ToArray();

    [GeneratedRegex("\"timings_ms\":\\{[^}]*\\}")]
    private static partial Regex TimingsPattern();
}
