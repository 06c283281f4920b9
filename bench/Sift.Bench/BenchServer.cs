using Microsoft.AspNetCore.Builder;
using Sift.Server.Caching;
using Sift.Server.Hosting;

namespace Sift.Bench;

/// <summary>A server with the fixture models and one cache mode ("none", "memory", "redis" with its own empty Redis), logging warnings only.</summary>
internal sealed class BenchServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly RedisProcess? _redis;
    private readonly string _data;

    private BenchServer(string mode, WebApplication app, RedisProcess? redis, HttpClient http, string data)
    {
        Mode = mode;
        _app = app;
        _redis = redis;
        Http = http;
        _data = data;
    }

    public string Mode { get; }

    public HttpClient Http { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<BenchServer> StartAsync(string mode)
    {
        var redis = mode == "redis" ? await RedisProcess.StartAsync() : null;
        var cache = mode switch
        {
            "none" => new CacheOptions { Backend = CacheBackend.None },
            "memory" => new CacheOptions(),
            _ => CacheOptions.Parse($"redis://127.0.0.1:{redis!.Port}", new CacheOptions().Size, TimeSpan.FromHours(1)),
        };
        // Each server its own data directory: servers of the same run would contend for one embedded store.
        var data = Directory.CreateTempSubdirectory("sift-bench-data-").FullName;
        var options = new ServerOptions
        {
            Model = BenchPaths.Tokenizer, Reranker = Path.Combine(BenchPaths.Fixtures, "qwen3-tiny-reranker"), Port = 0, Cache = cache, Data = data,
        };
        var app = SiftServer.Build(options, ["--Logging:LogLevel:Default=Warning"]);
        await app.StartAsync();
        var http = new HttpClient { BaseAddress = SiftServer.ListeningAddress(app), Timeout = TimeSpan.FromMinutes(10) };
        while (!(await http.GetAsync("/ready")).IsSuccessStatusCode)
        {
            await Task.Delay(50);
        }
        return new BenchServer(mode, app, redis, http, data);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _redis?.Dispose();
        Directory.Delete(_data, recursive: true);
    }
}
