using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sift.Server.Caching;
using Sift.Server.Hosting;
using Sift.Tokenization;

namespace Sift.Bench;

/// <summary>
/// The repeated-query workload of issue 12 through the server: 1,000 requests over 100 distinct
/// queries drawn from a Zipf distribution (s = 1.1, seeded), each a query with 20 candidate
/// passages of ~100 tokens to rerank, at 8 concurrent clients, with the cache off, in memory,
/// and in Redis. Then the cost of a miss, through the server and in the cache's own calls.
/// Each mode runs on a fresh server (and an empty Redis) after an untimed warm-up on other
/// queries; each figure is the best of --rounds runs.
/// </summary>
internal static class CacheBenchmark
{
    internal const int Requests = 1000;
    internal const int DistinctQueries = 100;
    private const int PassagesPerQuery = 20;
    private const int TokensPerPassage = 100;
    internal const double ZipfExponent = 1.1;
    internal const int Concurrency = 8;
    internal static readonly string[] Modes = ["none", "memory", "redis"];

    public static async Task RunAsync(BenchOptions options)
    {
        var tokenizer = Tokenizer.Load(BenchPaths.Tokenizer);
        var text = new TextGenerator(tokenizer, seed: 12);
        object Request() => new { query = text.Text(12), documents = Enumerable.Range(0, PassagesPerQuery).Select(_ => text.Text(TokensPerPassage)).ToArray() };
        var distinct = Enumerable.Range(0, DistinctQueries).Select(_ => Request()).ToArray();
        var zipf = Zipf(new Random(1212), DistinctQueries, ZipfExponent, Requests);
        var workload = zipf.Select(i => distinct[i]).ToArray();
        var warmUp = Enumerable.Range(0, 64).Select(_ => Request()).ToArray();
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            workload = "cache", requests = Requests, distinct_queries = DistinctQueries, distinct_in_sample = zipf.Distinct().Count(),
            passages_per_request = PassagesPerQuery, zipf_s = ZipfExponent, concurrency = Concurrency,
        }));

        await RunModesAsync(warmUp, workload, "/v1/rerank", BenchServer.StartAsync, options.Rounds);
        await MeasureMissCostAsync(text);
        await MeasureCacheCallsAsync();
    }

    /// <summary>
    /// The workload on each cache mode: a fresh server (<paramref name="start"/>) per round, an untimed
    /// warm-up, then the timed requests at <see cref="Concurrency"/> clients; prints the best round's
    /// throughput, p50 and p99 and how many requests the cache answered.
    /// </summary>
    internal static async Task RunModesAsync(object[] warmUp, object[] workload, string path, Func<string, Task<BenchServer>> start, int rounds)
    {
        foreach (var mode in Modes)
        {
            var (best, bestLatencies, hits) = (double.MaxValue, new List<double>(), 0);
            for (var round = 0; round < rounds; round++)
            {
                await using var server = await start(mode);
                await RunAsync(server.Http, warmUp, Concurrency, path);
                var run = await RunAsync(server.Http, workload, Concurrency, path);
                if (run.Seconds < best)
                {
                    (best, bestLatencies, hits) = (run.Seconds, run.Latencies, run.Hits);
                }
            }
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                mode, path, requests_per_s = Math.Round(workload.Length / best, 1),
                p50_ms = Math.Round(ServerLoadBenchmark.Percentile(bestLatencies, 0.50), 2),
                p99_ms = Math.Round(ServerLoadBenchmark.Percentile(bestLatencies, 0.99), 2),
                hit_requests = hits,
            }));
        }
    }

    /// <summary>
    /// The cost of a miss through the server: three servers (no cache, memory, Redis) answer the
    /// same stream of new requests in turn, one request at a time, so load on the machine hits all
    /// three alike; the cost is the median of the per-turn differences. Passages are short so that
    /// the model's time (and its noise) does not drown the cache's; each request still caches 20 pairs.
    /// </summary>
    private static async Task MeasureMissCostAsync(TextGenerator text)
    {
        const int turns = 400;
        var servers = new List<BenchServer>();
        try
        {
            foreach (var mode in Modes)
            {
                servers.Add(await BenchServer.StartAsync(mode));
            }
            object Request() => new { query = text.Text(12), documents = Enumerable.Range(0, PassagesPerQuery).Select(_ => text.Text(8)).ToArray() };
            foreach (var server in servers)
            {
                await RunAsync(server.Http, Enumerable.Range(0, 64).Select(_ => Request()).ToArray(), concurrency: 1);
            }
            var latencies = Modes.ToDictionary(m => m, _ => new List<double>());
            for (var turn = 0; turn < turns; turn++)
            {
                var body = Request();
                // Each server sees the request for the first time: a miss everywhere. The order rotates so no server always goes first.
                for (var k = 0; k < servers.Count; k++)
                {
                    var server = servers[(turn + k) % servers.Count];
                    latencies[server.Mode].Add((await RunAsync(server.Http, [body], concurrency: 1)).Latencies[0]);
                }
            }
            double MedianDifference(string mode) =>
                ServerLoadBenchmark.Percentile(latencies[mode].Zip(latencies["none"], (a, b) => a - b).ToList(), 0.5);
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                measure = "miss_cost_through_server", turns, pairs_per_request = PassagesPerQuery, tokens_per_passage = 8,
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

    /// <summary>
    /// The cache's own work on a miss, without the model: looking up a request's 20 pair keys (all
    /// missing) and storing the 20 scores, as the rerank decorator does, in memory and in Redis.
    /// </summary>
    private static async Task MeasureCacheCallsAsync()
    {
        const int iterations = 2000;
        foreach (var mode in Modes.Where(m => m != "none"))
        {
            await using var server = await BenchServer.StartAsync(mode);
            var cache = server.Services.GetRequiredService<ResultCache>();
            var times = new List<double>();
            for (var iteration = -200; iteration < iterations; iteration++)
            {
                var keys = Enumerable.Range(0, PassagesPerQuery).Select(i =>
                {
                    using var key = new CacheKey("bench");
                    return key.Add(iteration).Add(i).Add(mode).ToString();
                }).ToArray();
                var started = Stopwatch.GetTimestamp();
                var found = await cache.GetAsync<CachedScore>("bench", keys, CancellationToken.None);
                await cache.SetAsync(keys.Select(k => (k, new CachedScore(0.5f, 1f, -1f, 100))));
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (iteration >= 0)
                {
                    times.Add(elapsed);
                }
                if (found.Any(f => f is not null))
                {
                    throw new InvalidOperationException("a new key was found in the cache");
                }
            }
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                measure = "cache_calls_per_miss", mode, keys = PassagesPerQuery, iterations,
                p50_ms = Math.Round(ServerLoadBenchmark.Percentile(times, 0.5), 3),
                p99_ms = Math.Round(ServerLoadBenchmark.Percentile(times, 0.99), 3),
            }));
        }
    }

    internal static async Task<(double Seconds, List<double> Latencies, int Hits)> RunAsync(HttpClient http, object[] bodies, int concurrency, string path = "/v1/rerank")
    {
        var next = -1;
        var hits = 0;
        var latencies = new List<double>();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < bodies.Length)
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await http.PostAsJsonAsync(path, bodies[index]);
                response.EnsureSuccessStatusCode();
                await response.Content.ReadAsByteArrayAsync();
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                var hit = response.Headers.TryGetValues(CacheStatus.Header, out var values) && values.Single() == "hit";
                lock (latencies)
                {
                    latencies.Add(elapsed);
                    hits += hit ? 1 : 0;
                }
            }
        })));
        return (clock.Elapsed.TotalSeconds, latencies, hits);
    }

    /// <summary><paramref name="count"/> ranks in 0..n-1 with P(k) ∝ 1/(k+1)^s.</summary>
    internal static int[] Zipf(Random random, int n, double s, int count)
    {
        var weights = Enumerable.Range(1, n).Select(k => 1 / Math.Pow(k, s)).ToArray();
        var total = weights.Sum();
        var cumulative = new double[n];
        var running = 0.0;
        for (var k = 0; k < n; k++)
        {
            running += weights[k] / total;
            cumulative[k] = running;
        }
        return Enumerable.Range(0, count).Select(_ =>
        {
            var u = random.NextDouble();
            var index = Array.BinarySearch(cumulative, u);
            return Math.Min(n - 1, index >= 0 ? index : ~index);
        }).ToArray();
    }
}
