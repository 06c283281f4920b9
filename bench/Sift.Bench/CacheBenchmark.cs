using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Sift.Server.Caching;
using Sift.Server.Hosting;
using Sift.Tokenization;

namespace Sift.Bench;

/// <summary>
/// The repeated-query workload of issue 12 through the server: 1,000 requests over 100 distinct
/// queries drawn from a Zipf distribution (s = 1.1, seeded), each a query with 20 candidate
/// passages of ~100 tokens to rerank, at 8 concurrent clients, with the cache off, in memory,
/// and in Redis. Then the cost of a miss: 200 distinct requests one at a time, p50 per mode.
/// Each mode runs on a fresh server (and an empty Redis) after an untimed warm-up on other
/// queries; each figure is the best of --rounds runs.
/// </summary>
internal static class CacheBenchmark
{
    private const int Requests = 1000;
    private const int DistinctQueries = 100;
    private const int PassagesPerQuery = 20;
    private const int TokensPerPassage = 100;
    private const double ZipfExponent = 1.1;
    private const int Concurrency = 8;
    private const int MissRequests = 200;

    public static async Task RunAsync(BenchOptions options)
    {
        var tokenizer = Tokenizer.Load(BenchPaths.Tokenizer);
        var text = new TextGenerator(tokenizer, seed: 12);
        object Request() => new { query = text.Text(12), documents = Enumerable.Range(0, PassagesPerQuery).Select(_ => text.Text(TokensPerPassage)).ToArray() };
        var distinct = Enumerable.Range(0, DistinctQueries).Select(_ => Request()).ToArray();
        var zipf = Zipf(new Random(1212), DistinctQueries, ZipfExponent, Requests);
        var workload = zipf.Select(i => distinct[i]).ToArray();
        var warmUp = Enumerable.Range(0, 64).Select(_ => Request()).ToArray();
        var missRounds = Enumerable.Range(0, options.Rounds).Select(_ => Enumerable.Range(0, MissRequests).Select(_ => Request()).ToArray()).ToArray();
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            workload = "cache", requests = Requests, distinct_queries = DistinctQueries, distinct_in_sample = zipf.Distinct().Count(),
            passages_per_request = PassagesPerQuery, zipf_s = ZipfExponent, concurrency = Concurrency,
        }));

        var missP50 = new Dictionary<string, double>();
        foreach (var mode in new[] { "none", "memory", "redis" })
        {
            var (best, bestLatencies) = (double.MaxValue, new List<double>());
            var bestMiss = double.MaxValue;
            var hits = 0;
            for (var round = 0; round < options.Rounds; round++)
            {
                using var redis = mode == "redis" ? await RedisProcess.StartAsync() : null;
                var cache = mode switch
                {
                    "none" => new CacheOptions { Backend = CacheBackend.None },
                    "memory" => new CacheOptions(),
                    _ => CacheOptions.Parse($"redis://127.0.0.1:{redis!.Port}", new CacheOptions().Size, TimeSpan.FromHours(1)),
                };
                var app = SiftServer.Build(new ServerOptions { Model = BenchPaths.Tokenizer, Reranker = Path.Combine(BenchPaths.Fixtures, "qwen3-tiny-reranker"), Port = 0, Cache = cache });
                await app.StartAsync();
                using var http = new HttpClient { BaseAddress = SiftServer.ListeningAddress(app), Timeout = TimeSpan.FromMinutes(10) };
                while (!(await http.GetAsync("/ready")).IsSuccessStatusCode)
                {
                    await Task.Delay(50);
                }
                await RunAsync(http, warmUp, Concurrency);

                var run = await RunAsync(http, workload, Concurrency);
                if (run.Seconds < best)
                {
                    (best, bestLatencies, hits) = (run.Seconds, run.Latencies, run.Hits);
                }
                var miss = await RunAsync(http, missRounds[round], concurrency: 1);
                bestMiss = Math.Min(bestMiss, Percentile(miss.Latencies, 0.5));
                await app.StopAsync();
                await app.DisposeAsync();
            }
            missP50[mode] = bestMiss;
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                mode, requests_per_s = Math.Round(Requests / best, 1),
                p50_ms = Math.Round(Percentile(bestLatencies, 0.50), 2), p99_ms = Math.Round(Percentile(bestLatencies, 0.99), 2),
                hit_requests = hits, miss_p50_ms = Math.Round(bestMiss, 3),
            }));
        }
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            miss_cost_ms_memory = Math.Round(missP50["memory"] - missP50["none"], 3),
            miss_cost_ms_redis = Math.Round(missP50["redis"] - missP50["none"], 3),
        }));
    }

    private static async Task<(double Seconds, List<double> Latencies, int Hits)> RunAsync(HttpClient http, object[] bodies, int concurrency)
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
                using var response = await http.PostAsJsonAsync("/v1/rerank", bodies[index]);
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
    private static int[] Zipf(Random random, int n, double s, int count)
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

    private static double Percentile(List<double> values, double fraction)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(fraction * sorted.Length) - 1)];
    }
}
