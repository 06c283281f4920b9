using System.Net.Http.Json;
using System.Text.Json;
using Sift.Tokenization;

namespace Sift.Bench;

/// <summary>
/// The repeated-query workload of issue 12 as collection searches through the server: a collection
/// of 500 generated documents (~100 tokens, one chunk each), 1,000 searches over 100 distinct
/// queries drawn from a Zipf distribution (s = 1.1, seeded), each recalling top_k = 20 chunks,
/// reranking them and returning 10, at 8 concurrent clients, with the cache off, in memory and in
/// Redis. Each mode on a fresh server (and an empty Redis) after an untimed warm-up on other
/// queries; best of --rounds. Then the cost of a search miss, as <see cref="CacheBenchmark"/> measures
/// a rerank miss: three servers answer the same new searches in turn, one at a time.
/// </summary>
internal static class SearchCacheBenchmark
{
    private const int Documents = 500;
    private const int TokensPerDocument = 100;
    // The same repeated-query sample as the rerank workload.
    private const int Requests = CacheBenchmark.Requests;
    private const int DistinctQueries = CacheBenchmark.DistinctQueries;
    private const int TopK = 20;
    private const double ZipfExponent = CacheBenchmark.ZipfExponent;
    private const string Collection = "bench";
    private const string SearchPath = $"/v1/collections/{Collection}/search";

    public static async Task RunAsync(BenchOptions options)
    {
        var tokenizer = Tokenizer.Load(BenchPaths.Tokenizer);
        var text = new TextGenerator(tokenizer, seed: 13);
        var corpus = Enumerable.Range(0, Documents).Select(i => new { id = $"d{i:D4}", text = text.Text(TokensPerDocument) }).ToArray();
        object Search() => new { query = text.Text(12), top_k = TopK, top_n = 10 };
        var distinct = Enumerable.Range(0, DistinctQueries).Select(_ => Search()).ToArray();
        var zipf = CacheBenchmark.Zipf(new Random(1313), DistinctQueries, ZipfExponent, Requests);
        var workload = zipf.Select(i => distinct[i]).ToArray();
        var warmUp = Enumerable.Range(0, 32).Select(_ => Search()).ToArray();
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            workload = "search-cache", documents = Documents, requests = Requests, distinct_queries = DistinctQueries,
            distinct_in_sample = zipf.Distinct().Count(), top_k = TopK, zipf_s = ZipfExponent, concurrency = CacheBenchmark.Concurrency,
        }));

        await CacheBenchmark.RunModesAsync(warmUp, workload, SearchPath, mode => StartAsync(mode, corpus), options.Rounds);
        await MeasureMissCostAsync(text, corpus);
    }

    /// <summary>
    /// Three servers (no cache, memory, Redis) with the same collection answer the same stream of new
    /// searches in turn, one at a time, so load on the machine hits all three alike; the cost of a
    /// miss is the median of the per-turn differences. top_k = 5 keeps the model's time (and its
    /// noise) from drowning the cache's; each search still computes its key, looks it up and stores its result.
    /// </summary>
    private static async Task MeasureMissCostAsync(TextGenerator text, object[] corpus)
    {
        const int turns = 300;
        var servers = new List<BenchServer>();
        try
        {
            foreach (var mode in CacheBenchmark.Modes)
            {
                servers.Add(await StartAsync(mode, corpus));
            }
            object Search() => new { query = text.Text(12), top_k = 5, top_n = 5 };
            foreach (var server in servers)
            {
                await CacheBenchmark.RunAsync(server.Http, Enumerable.Range(0, 64).Select(_ => Search()).ToArray(), 1, SearchPath);
            }
            var latencies = CacheBenchmark.Modes.ToDictionary(m => m, _ => new List<double>());
            for (var turn = 0; turn < turns; turn++)
            {
                var body = Search();
                for (var k = 0; k < servers.Count; k++)
                {
                    var server = servers[(turn + k) % servers.Count];
                    var run = await CacheBenchmark.RunAsync(server.Http, [body], 1, SearchPath);
                    if (run.Hits != 0)
                    {
                        throw new InvalidOperationException("a new search was answered from the cache");
                    }
                    latencies[server.Mode].Add(run.Latencies[0]);
                }
            }
            double MedianDifference(string mode) =>
                ServerLoadBenchmark.Percentile(latencies[mode].Zip(latencies["none"], (a, b) => a - b).ToList(), 0.5);
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                measure = "search_miss_cost_through_server", turns, top_k = 5,
                p50_ms_none = Math.Round(ServerLoadBenchmark.Percentile(latencies["none"], 0.5), 3),
                p50_ms_memory = Math.Round(ServerLoadBenchmark.Percentile(latencies["memory"], 0.5), 3),
                p50_ms_redis = Math.Round(ServerLoadBenchmark.Percentile(latencies["redis"], 0.5), 3),
                miss_cost_ms_memory = Math.Round(MedianDifference("memory"), 3),
                miss_cost_ms_redis = Math.Round(MedianDifference("redis"), 3),
            }));
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }

    /// <summary>A fresh server in <paramref name="mode"/> holding the collection (the corpus embedded once per server, untimed).</summary>
    private static async Task<BenchServer> StartAsync(string mode, object[] corpus)
    {
        var server = await BenchServer.StartAsync(mode);
        using (var created = await server.Http.PostAsJsonAsync("/v1/collections", new { name = Collection }))
        {
            created.EnsureSuccessStatusCode();
        }
        foreach (var batch in corpus.Chunk(32))
        {
            using var upserted = await server.Http.PostAsJsonAsync($"/v1/collections/{Collection}/documents", new { documents = batch });
            upserted.EnsureSuccessStatusCode();
        }
        return server;
    }
}
