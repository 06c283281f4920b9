using System.Diagnostics;
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
        // The reranker's config.json is a FIFO: loading blocks on it until the test writes the real file through it.
        var directory = Directory.CreateTempSubdirectory("sift-loading-").FullName;
        try
        {
            foreach (var file in Directory.GetFiles(Fixtures.RerankerModel))
            {
                File.Copy(file, Path.Combine(directory, Path.GetFileName(file)));
            }
            var config = Path.Combine(directory, "config.json");
            var content = await File.ReadAllBytesAsync(config, TestContext.Current.CancellationToken);
            File.Delete(config);
            var mkfifo = RequiredService.FindExecutable("mkfifo", "/usr/bin/mkfifo");
            RequiredService.Require(mkfifo is not null, "mkfifo", "apt-get install coreutils");
            using (var make = Process.Start(mkfifo!, [config]))
            {
                await make.WaitForExitAsync(TestContext.Current.CancellationToken);
            }
            var app = SiftServer.Build(new ServerOptions
            {
                Reranker = directory,
                Host = "127.0.0.1",
                Port = 0,
                Cache = new CacheOptions { Backend = CacheBackend.None },
            });
            await app.StartAsync(TestContext.Current.CancellationToken);
            await using var _ = app;
            using var http = new HttpClient { BaseAddress = SiftServer.ListeningAddress(app) };
            var body = new { query = "q", documents = new[] { "a", "b" } };

            using var loading = await http.PostAsJsonAsync("/v1/rerank", body, TestContext.Current.CancellationToken);
            using var error = JsonDocument.Parse(await loading.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

            Assert.Equal(HttpStatusCode.ServiceUnavailable, loading.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), loading.Headers.RetryAfter?.Delta);
            Assert.Equal("not_ready", error.RootElement.GetProperty("error").GetProperty("code").GetString());

            await File.WriteAllBytesAsync(config, content, TestContext.Current.CancellationToken);
            await CacheTests.Eventually(async () => (await http.GetAsync("/ready", TestContext.Current.CancellationToken)).IsSuccessStatusCode, seconds: 60);
            using var served = await http.PostAsJsonAsync("/v1/rerank", body, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
            await app.StopAsync(TestContext.Current.CancellationToken);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
