using System.Net;
using System.Text.Json;
using Sift.Client;
using Sift.Tests.Server;

namespace Sift.Tests.Retrieval;

/// <summary>Hybrid search over HTTP, through raw requests and through the SDK, against a real server and embedded database.</summary>
public sealed class HybridRoutesTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static readonly CancellationToken Cancel = TestContext.Current.CancellationToken;

    private static readonly (string Id, string Text)[] Documents =
    [
        ("beijing-zh", "北京是中华人民共和国的首都，也是全国的政治和文化中心。"),
        ("shanghai-zh", "上海是中国人口最多的城市，也是重要的国际金融中心。"),
        ("tokyo-ja", "東京は日本の首都であり、世界有数の大都市です。"),
        ("printer", "Printer error code E4321 means the fuser overheated."),
        ("gravity", "Gravity is a force that attracts two bodies towards each other."),
        ("tides", "Ocean tides are caused by the gravitational pull of the moon."),
    ];

    private TestServer Server => fixture.Server;

    private async Task<string> CollectionAsync(bool? hybrid)
    {
        var name = $"h{Guid.NewGuid():N}"[..14];
        var create = hybrid is { } value ? (object)new { name, hybrid = value } : new { name };
        var created = await Server.PostJsonAsync("/v1/collections", create);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var upserted = await Server.PostJsonAsync($"/v1/collections/{name}/documents", new { documents = Documents.Select(d => new { id = d.Id, text = d.Text }) });
        Assert.Equal(HttpStatusCode.OK, upserted.StatusCode);
        return name;
    }

    private async Task<JsonElement> PostAsync(string path, object body)
    {
        var response = await Server.PostJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement;
    }

    [Fact]
    public async Task Search_HybridTrue_FindsTheChineseDocumentByKeywordAndNamesTheStage()
    {
        var name = await CollectionAsync(hybrid: null);

        var json = await PostAsync($"/v1/collections/{name}/search", new { query = "北京", hybrid = true, rerank = false, top_k = 2, top_n = 2 });

        Assert.True(json.GetProperty("hybrid").GetBoolean());
        Assert.False(json.GetProperty("reranked").GetBoolean());
        var results = json.GetProperty("results").EnumerateArray().ToArray();
        var beijing = Assert.Single(results, r => r.GetProperty("id").GetString() == "beijing-zh");
        Assert.Contains(beijing.GetProperty("stage").GetString(), new[] { "lexical", "both" });
        Assert.All(results, r => Assert.Contains(r.GetProperty("stage").GetString(), new[] { "vector", "lexical", "both" }));
        Assert.True(json.GetProperty("timings_ms").GetProperty("lexical").GetDouble() > 0);
    }

    [Fact]
    public async Task Collection_HybridDefault_IsShownAndAppliedUnlessASearchTurnsItOff()
    {
        var name = await CollectionAsync(hybrid: true);
        var collection = JsonDocument.Parse(await Server.Http.GetStringAsync($"/v1/collections/{name}", Cancel)).RootElement;

        var byDefault = await PostAsync($"/v1/collections/{name}/search", new { query = "東京", top_k = 3, top_n = 3 });
        var off = await PostAsync($"/v1/collections/{name}/search", new { query = "東京", hybrid = false, top_k = 3, top_n = 3 });

        Assert.True(collection.GetProperty("hybrid").GetBoolean());
        Assert.True(byDefault.GetProperty("hybrid").GetBoolean());
        Assert.True(byDefault.GetProperty("reranked").GetBoolean());
        Assert.Contains(byDefault.GetProperty("results").EnumerateArray(), r => r.GetProperty("id").GetString() == "tokyo-ja");
        Assert.False(off.GetProperty("hybrid").GetBoolean());
        Assert.All(off.GetProperty("results").EnumerateArray(), r => Assert.Equal("vector", r.GetProperty("stage").GetString()));
        Assert.False(off.GetProperty("timings_ms").TryGetProperty("lexical", out _), "a dense search has no keyword stage to time");
    }

    [Theory]
    [InlineData("/v1/collections", "{\"name\": \"bad-hybrid\", \"hybrid\": \"yes\"}")]
    [InlineData("/v1/collections/{name}/search", "{\"query\": \"q\", \"hybrid\": 1}")]
    public async Task Hybrid_NotABoolean_Is400NamingTheField(string path, string body)
    {
        var name = await CollectionAsync(hybrid: null);

        var response = await Server.PostRawAsync(path.Replace("{name}", name, StringComparison.Ordinal), body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement.GetProperty("error");
        Assert.Equal("hybrid", error.GetProperty("param").GetString());
        Assert.Contains("hybrid", error.GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.OK, (await Server.Http.GetAsync("/health", Cancel)).StatusCode);
    }

    [Fact]
    public async Task Sdk_HybridCollectionAndSearch_ReportTheStageOfEachResult()
    {
        using var collections = new SiftCollections(new SiftClientOptions { Endpoint = Server.Address });
        var name = $"sdk{Guid.NewGuid():N}"[..12];
        var created = await collections.CreateAsync(name, new SiftCollectionOptions { Hybrid = true }, Cancel);
        await collections.UpsertAsync(name, Documents.Select(d => new SiftDocument(d.Id, d.Text)).ToArray(), Cancel);

        var found = await collections.SearchAsync(name, "E4321", new SiftSearchOptions { TopK = 2, TopN = 2, Rerank = false }, Cancel);
        var dense = await collections.SearchAsync(name, "E4321", new SiftSearchOptions { TopK = 2, TopN = 2, Rerank = false, Hybrid = false }, Cancel);

        Assert.True(created.Hybrid);
        Assert.True((await collections.GetAsync(name, Cancel))!.Hybrid);
        Assert.True(found.Hybrid);
        Assert.Contains(found.Results, r => r.Id == "printer" && r.Stage is "lexical" or "both");
        Assert.Contains("lexical", found.TimingsMs.Keys);
        Assert.False(dense.Hybrid);
        Assert.All(dense.Results, r => Assert.Equal("vector", r.Stage));
    }
}
