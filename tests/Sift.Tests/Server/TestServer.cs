using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Sift.Server.Hosting;

namespace Sift.Tests.Server;

/// <summary>A real Sift server on 127.0.0.1 (a free port) with the fixture models, and an HTTP client for it.</summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string? _dataDirectory;

    private TestServer(WebApplication app, Uri address, string? apiKey, string? dataDirectory)
    {
        _app = app;
        _dataDirectory = dataDirectory;
        Address = address;
        Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(2) };
        if (apiKey is not null)
        {
            Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", apiKey);
        }
    }

    public Uri Address { get; }

    public HttpClient Http { get; }

    /// <summary>The server's services (its model registry, metrics...).</summary>
    public IServiceProvider Services => _app.Services;

    public const string EmbeddingName = "qwen3-tiny-embedding";

    public const string RerankerName = "qwen3-tiny-reranker";

    /// <summary>
    /// Starts a server on a free port and waits until it is ready and its models' fingerprints are
    /// computed (until then results are served uncached). <paramref name="reranker"/> false: no reranker.
    /// </summary>
    public static async Task<TestServer> StartAsync(ServerOptions? options = null, bool reranker = true)
    {
        options ??= new ServerOptions();
        // Each server gets its own data directory (removed with it) unless the test names one.
        var dataDirectory = options.Data == Sift.Retrieval.Stores.RetrievalStores.DefaultDirectory
            ? Directory.CreateTempSubdirectory("sift-test-data-").FullName
            : null;
        options = options with
        {
            Data = dataDirectory ?? options.Data,
            Model = options.Model ?? Fixtures.EmbeddingModel,
            Reranker = reranker ? options.Reranker ?? Fixtures.RerankerModel : null,
            Host = "127.0.0.1",
            Port = 0,
        };
        var app = SiftServer.Build(options);
        await app.StartAsync();
        var server = new TestServer(app, SiftServer.ListeningAddress(app), options.ApiKey, dataDirectory);
        using var ready = new HttpClient { BaseAddress = server.Address };
        for (var attempt = 0; attempt < 600; attempt++)
        {
            if ((await ready.GetAsync("/ready")).IsSuccessStatusCode)
            {
                await ((Sift.Server.Hosting.ModelRegistry)app.Services.GetService(typeof(Sift.Server.Hosting.ModelRegistry))!).Hashed;
                return server;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException("the test server did not become ready");
    }

    public Task<HttpResponseMessage> PostJsonAsync(string path, object body) => Http.PostAsJsonAsync(path, body);

    public Task<HttpResponseMessage> PostRawAsync(string path, string json) =>
        Http.PostAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_dataDirectory is not null)
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }
}
