using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Sift.Server.Caching;
using Sift.Server.Hosting;
using Sift.Tokenization;

namespace Sift.Bench;

/// <summary>
/// A popular query that is not cached yet: 8 concurrent identical collection searches (top_k
/// candidates reranked, 10 returned) at a real model shape (random weights, --shape), on two servers
/// with the same collection (top_k + 20 generated documents of ~100 tokens, one chunk each), --precision: the result cache on (concurrent misses share one computation) and off
/// (every request computes, which is what concurrent misses did before they were shared). Each round
/// sends a new query to both servers in turn, alternating which goes first, so the machine's load
/// hits both alike; reports each round's wall time and the forward passes and tokens each server's
/// models ran (from /metrics), and the X-Sift-Cache values the 8 answers carried.
/// </summary>
internal static class SingleFlightBenchmark
{
    private const int Concurrency = 8;
    private const int TokensPerDocument = 100;
    private const string Collection = "bench";
    private const string SearchPath = $"/v1/collections/{Collection}/search";

    public static async Task RunAsync(BenchOptions options)
    {
        var embedding = ServerLoadBenchmark.WriteRandomModel(options.Shape, BenchPaths.Tokenizer);
        // The reranker reads the same random weights under its own name, so /metrics counts the two models apart.
        var reranker = Directory.CreateTempSubdirectory("sift-bench-reranker-").FullName;
        foreach (var file in Directory.GetFiles(embedding))
        {
            File.CreateSymbolicLink(Path.Combine(reranker, Path.GetFileName(file)), file);
        }
        var tokenizer = Tokenizer.Load(BenchPaths.Tokenizer);
        var text = new TextGenerator(tokenizer, seed: 29);
        var documents = options.TopK + 20;
        var corpus = Enumerable.Range(0, documents).Select(i => new { id = $"d{i:D4}", text = text.Text(TokensPerDocument) }).ToArray();
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            workload = "single-flight", shape = options.Shape, concurrency = Concurrency, documents, precision = options.Precision, tokens_per_document = TokensPerDocument,
            top_k = options.TopK, rounds = options.Rounds, instruction_set = Sift.Kernels.KernelPath.Current.InstructionSet,
        }));
        var servers = new Dictionary<string, (WebApplication App, HttpClient Http, string Data)>();
        try
        {
            foreach (var mode in new[] { "off", "on" })
            {
                servers[mode] = await StartAsync(mode, embedding, reranker, options.Quantize, corpus);
                Console.Error.WriteLine($"cache {mode}: server up, {documents} documents indexed");
            }
            var embeddingName = Path.GetFileName(embedding);
            var rerankerName = Path.GetFileName(reranker);
            for (var round = 0; round < options.Rounds; round++)
            {
                var body = new { query = text.Text(12), top_k = options.TopK, top_n = 10 };
                foreach (var mode in round % 2 == 0 ? new[] { "off", "on" } : ["on", "off"])
                {
                    var http = servers[mode].Http;
                    var before = await CountersAsync(http, embeddingName, rerankerName);
                    var clock = Stopwatch.StartNew();
                    var answers = await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(_ => SearchAsync(http, body)));
                    var seconds = clock.Elapsed.TotalSeconds;
                    var after = await CountersAsync(http, embeddingName, rerankerName);
                    Console.WriteLine(JsonSerializer.Serialize(new
                    {
                        round, cache = mode, wall_s = Math.Round(seconds, 2),
                        embed_passes = after.EmbedPasses - before.EmbedPasses, rerank_passes = after.RerankPasses - before.RerankPasses,
                        embed_tokens = after.EmbedTokens - before.EmbedTokens, rerank_tokens = after.RerankTokens - before.RerankTokens,
                        x_sift_cache = string.Join(',', answers.Order(StringComparer.Ordinal)),
                    }));
                }
            }
        }
        finally
        {
            foreach (var (app, http, data) in servers.Values)
            {
                http.Dispose();
                await app.StopAsync();
                await app.DisposeAsync();
                Directory.Delete(data, recursive: true);
            }
            Directory.Delete(reranker, recursive: true);
            Directory.Delete(embedding, recursive: true);
        }
    }

    private static async Task<(WebApplication App, HttpClient Http, string Data)> StartAsync(string mode, string embedding, string reranker,
        Kernels.WeightFormat? quantize, object[] corpus)
    {
        var data = Directory.CreateTempSubdirectory("sift-bench-data-").FullName;
        var options = new ServerOptions
        {
            Model = embedding, Reranker = reranker, Port = 0, Data = data, Quantize = quantize,
            Cache = mode == "on" ? new CacheOptions() : new CacheOptions { Backend = CacheBackend.None },
        };
        var app = SiftServer.Build(options, ["--Logging:LogLevel:Default=Warning"]);
        await app.StartAsync();
        var http = new HttpClient { BaseAddress = SiftServer.ListeningAddress(app), Timeout = TimeSpan.FromMinutes(30) };
        while (!(await http.GetAsync("/ready")).IsSuccessStatusCode)
        {
            await Task.Delay(100);
        }
        // The cache keys on the models' fingerprints, computed in the background after start.
        await ((ModelRegistry)app.Services.GetService(typeof(ModelRegistry))!).Hashed;
        (await http.PostAsJsonAsync("/v1/collections", new { name = Collection })).EnsureSuccessStatusCode();
        foreach (var batch in corpus.Chunk(40))
        {
            (await http.PostAsJsonAsync($"/v1/collections/{Collection}/documents", new { documents = batch })).EnsureSuccessStatusCode();
        }
        return (app, http, data);
    }

    /// <summary>One search; its X-Sift-Cache value ("none" when the cache is off).</summary>
    private static async Task<string> SearchAsync(HttpClient http, object body)
    {
        using var response = await http.PostAsJsonAsync(SearchPath, body);
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        if (!json.RootElement.GetProperty("reranked").GetBoolean())
        {
            throw new InvalidOperationException($"a search fell back: {json.RootElement.GetRawText()}");
        }
        return response.Headers.TryGetValues(CacheStatus.Header, out var values) ? values.Single() : "none";
    }

    private static async Task<(double EmbedPasses, double RerankPasses, double EmbedTokens, double RerankTokens)> CountersAsync(HttpClient http,
        string embedding, string reranker)
    {
        var lines = (await http.GetStringAsync("/metrics")).Split('\n');
        double Sum(string metric, string model) => lines
            .Where(line => line.StartsWith(metric + "{", StringComparison.Ordinal) && line.Contains($"model=\"{model}\"", StringComparison.Ordinal))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
        return (Sum("sift_batches_total", embedding), Sum("sift_batches_total", reranker),
            Sum("sift_tokens_processed_total", embedding), Sum("sift_tokens_processed_total", reranker));
    }
}
