using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Sift.Server.Caching;
using Sift.Server.Hosting;
using Sift.Tests.Support;

namespace Sift.Tests.Server;

/// <summary>/v1/rerank has nothing to fall back to: while the reranker is unavailable it says so with 503 and Retry-After.</summary>
public sealed class RerankUnavailableTests
{
    [Fact]
    public async Task Rerank_WhileTheRerankerLoads_Is503WithRetryAfter_ThenServes()
    {
        using var loading = await LoadingReranker.CreateAsync();
        var app = SiftServer.Build(new ServerOptions
        {
            Reranker = loading.Directory,
            Data = Path.Combine(loading.Directory, "sift-data"),
            Host = "127.0.0.1",
            Port = 0,
            Cache = new CacheOptions { Backend = CacheBackend.None },
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        await using var _ = app;
        using var http = new HttpClient { BaseAddress = SiftServer.ListeningAddress(app) };
        var body = new { query = "q", documents = new[] { "a", "b" } };

        using var whileLoading = await http.PostAsJsonAsync("/v1/rerank", body, TestContext.Current.CancellationToken);
        using var error = JsonDocument.Parse(await whileLoading.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, whileLoading.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), whileLoading.Headers.RetryAfter?.Delta);
        Assert.Equal("not_ready", error.RootElement.GetProperty("error").GetProperty("code").GetString());

        await loading.FinishLoadingAsync();
        await CacheTests.Eventually(async () => (await http.GetAsync("/ready", TestContext.Current.CancellationToken)).IsSuccessStatusCode, seconds: 60);
        using var served = await http.PostAsJsonAsync("/v1/rerank", body, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        await app.StopAsync(TestContext.Current.CancellationToken);
    }
}
