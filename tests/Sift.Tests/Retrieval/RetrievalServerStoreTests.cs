using System.Net;
using System.Text.Json;
using Sift.Server.Hosting;
using Sift.Tests.Cli;
using Sift.Tests.Server;
using Sift.Tests.Support;

namespace Sift.Tests.Retrieval;

/// <summary>The server over each real store: the same collections and answers whether --data is a directory or PostgreSQL, and faults of the database.</summary>
[Collection(PostgresCollection.Name)]
public sealed class RetrievalServerStoreTests(PgliteServer postgres)
{
    private static readonly CancellationToken Cancel = TestContext.Current.CancellationToken;

    private static async Task<string> SearchBodyAsync(TestServer server, string name)
    {
        await server.PostJsonAsync("/v1/collections", new { name, chunk_tokens = 16, chunk_overlap = 4 });
        var upsert = await server.PostJsonAsync($"/v1/collections/{name}/documents",
            new { documents = CollectionRoutesTests.Corpus.Select(d => new { id = d.Id, text = d.Text + " " + d.Text, metadata = d.Metadata }) });
        Assert.Equal(HttpStatusCode.OK, upsert.StatusCode);
        var search = await server.PostJsonAsync($"/v1/collections/{name}/search", new { query = "the capital city", top_k = 20, top_n = 4, filter = new { topic = "geo" } });
        var json = JsonDocument.Parse(await search.Content.ReadAsStringAsync(Cancel)).RootElement;
        // Everything but timings must agree.
        return JsonSerializer.Serialize(new { results = json.GetProperty("results"), reranked = json.GetProperty("reranked"), usage = json.GetProperty("usage") });
    }

    [Fact]
    public async Task Search_GivesTheSameResultsOnPostgresAsOnTheEmbeddedStore()
    {
        postgres.Require();
        string embedded, onPostgres;
        await using (var server = await TestServer.StartAsync())
        {
            embedded = await SearchBodyAsync(server, "same");
        }
        await using (var server = await TestServer.StartAsync(new ServerOptions { Data = postgres.ConnectionString }))
        {
            onPostgres = await SearchBodyAsync(server, $"same{Guid.NewGuid():N}"[..12]);
        }
        Assert.Equal(embedded, onPostgres);
        Assert.Contains("shanghai", embedded);
    }

    [Fact]
    public async Task Server_DatabaseFull_Answers503WithAClearMessageAndKeepsServing()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { DataMaxSize = 192 * 1024 });
        await server.PostJsonAsync("/v1/collections", new { name = "full", dimensions = 32 });
        HttpResponseMessage? refused = null;
        var acknowledged = 0;
        for (var i = 0; i < 100 && refused is null; i++)
        {
            var response = await server.PostJsonAsync("/v1/collections/full/documents", new { documents = new[] { new { id = $"d{i}", text = new string('z', 6000) + i } } });
            if (response.StatusCode == HttpStatusCode.OK)
            {
                acknowledged++;
            }
            else
            {
                refused = response;
            }
        }
        Assert.NotNull(refused);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        var error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync(Cancel)).RootElement.GetProperty("error");
        Assert.Contains("full", error.GetProperty("message").GetString());
        Assert.Equal("store_unavailable", error.GetProperty("code").GetString());
        var info = JsonDocument.Parse(await server.Http.GetStringAsync("/v1/collections/full", Cancel)).RootElement;
        Assert.Equal(acknowledged, info.GetProperty("documents").GetInt64());
        var search = await server.PostJsonAsync("/v1/collections/full/search", new { query = "z", rerank = false });
        Assert.Equal(HttpStatusCode.OK, search.StatusCode);
    }

    [Fact]
    public async Task Server_PostgresGoesAway_Answers503ThenRecovers()
    {
        postgres.Require();
        await using var proxy = new TcpProxy(postgres.Port);
        var data = $"Host=127.0.0.1;Port={proxy.Port};Username=postgres;Password=postgres;Database=postgres;Pooling=false;Timeout=5";
        await using var server = await TestServer.StartAsync(new ServerOptions { Data = data });
        var name = $"gone{Guid.NewGuid():N}"[..12];
        await server.PostJsonAsync("/v1/collections", new { name });

        await proxy.CutAsync();
        var upsert = await server.PostJsonAsync($"/v1/collections/{name}/documents", new { documents = new[] { new { id = "lost", text = "never acknowledged" } } });
        var search = await server.PostJsonAsync($"/v1/collections/{name}/search", new { query = "q" });
        var health = await server.Http.GetAsync("/health", Cancel);
        proxy.Restore();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, upsert.StatusCode);
        Assert.Contains("cannot be reached", await upsert.Content.ReadAsStringAsync(Cancel));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, search.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        // The database answers again once the network is back (PGlite may need a moment to drop the cut session).
        var lost = await server.Http.GetAsync($"/v1/collections/{name}/documents/lost", Cancel);
        for (var attempt = 0; attempt < 100 && lost.StatusCode == HttpStatusCode.ServiceUnavailable; attempt++)
        {
            await Task.Delay(100, Cancel);
            lost = await server.Http.GetAsync($"/v1/collections/{name}/documents/lost", Cancel);
        }
        Assert.True(lost.StatusCode == HttpStatusCode.NotFound, await lost.Content.ReadAsStringAsync(Cancel));
        var again = await server.PostJsonAsync($"/v1/collections/{name}/documents", new { documents = new[] { new { id = "kept", text = "acknowledged" } } });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task Serve_WithAnUnreachableDatabase_FailsWithOneClearLine()
    {
        var (exitCode, _, error) = await CliRunner.RunAsync("", "serve", "--model", Fixtures.EmbeddingModel, "--port", "0",
            "--data", "postgres://sift@127.0.0.1:1/sift?connect_timeout=5");
        Assert.Equal(1, exitCode);
        Assert.Contains("cannot be reached", error);
        Assert.DoesNotContain("   at ", error);
    }
}
