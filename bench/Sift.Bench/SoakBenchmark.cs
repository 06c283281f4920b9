using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Sift.Bench;

/// <summary>
/// Soak (issue 11): a real `sift serve` process with the fixture models; its capacity measured
/// with closed-loop clients, then --minutes of open-loop arrivals at twice that rate, a fifth of
/// them invalid (bad JSON, wrong types, too many inputs, bad dimensions, empty input). Every
/// minute: the answers by status, p50/p99 of accepted requests, and the server's resident memory.
/// Needs `dotnet build src/Sift.Cli -c Release` first.
/// </summary>
internal static class SoakBenchmark
{
    private const int MaxConcurrentRequests = 64;
    /// <summary>Requests the client keeps open at most (one connection each): beyond, an arrival is counted as dropped by the client, so the client never queues.</summary>
    private const int MaxOutstanding = 1024;

    public static async Task RunAsync(BenchOptions options)
    {
        var repository = Path.GetFullPath(Path.Combine(BenchPaths.Fixtures, "..", ".."));
        var cli = Path.Combine(repository, "src", "Sift.Cli", "bin", "Release", "net10.0", "Sift.Cli.dll");
        var start = new ProcessStartInfo("dotnet", ["exec", cli, "serve", "--model", Path.Combine(BenchPaths.Fixtures, "qwen3-tiny-embedding"),
            "--reranker", Path.Combine(BenchPaths.Fixtures, "qwen3-tiny-reranker"), "--port", "0", "--max-concurrent-requests", MaxConcurrentRequests.ToString()])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var server = Process.Start(start)!;
        var listening = new TaskCompletionSource<Uri>();
        server.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line && Regex.Match(line, "listening on (http://\\S+)") is { Success: true } match)
            {
                listening.TrySetResult(new Uri(match.Groups[1].Value));
            }
        };
        server.OutputDataReceived += (_, _) => { };
        server.BeginErrorReadLine();
        server.BeginOutputReadLine();
        try
        {
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = MaxOutstanding }) { BaseAddress = await listening.Task, Timeout = TimeSpan.FromMinutes(2) };
            while (!(await http.GetAsync("/ready")).IsSuccessStatusCode)
            {
                await Task.Delay(100);
            }
            var random = new Random(11);
            var valid = Bodies(valid: true);
            var invalid = Bodies(valid: false);

            // Capacity: 8 closed-loop clients sending valid requests for 20 s (after a 5 s warm-up).
            await ClosedLoopAsync(http, valid, TimeSpan.FromSeconds(5));
            var completed = await ClosedLoopAsync(http, valid, TimeSpan.FromSeconds(20));
            var capacity = completed / 20.0;
            var rate = 2 * capacity;
            Console.WriteLine(JsonSerializer.Serialize(new { workload = "soak", phase = "capacity", requests_per_s = Math.Round(capacity, 1), offered_per_s = Math.Round(rate, 1) }));

            var outstanding = 0;
            var minutes = Math.Max(1, options.Rounds);
            // Statistics by the minute a request was sent in; a minute is reported once the next has begun
            // and its requests are answered (each answer is bounded by the client's timeout).
            var statuses = Enumerable.Range(0, minutes + 1).Select(_ => new ConcurrentDictionary<string, int>()).ToArray();
            var accepted = Enumerable.Range(0, minutes + 1).Select(_ => new ConcurrentBag<double>()).ToArray();
            var pending = Enumerable.Range(0, minutes + 1).Select(_ => new List<Task>()).ToArray();
            var clock = Stopwatch.StartNew();
            var sent = 0L;
            var reported = 0;
            while (clock.Elapsed < TimeSpan.FromMinutes(minutes))
            {
                // Open loop: arrivals follow the clock, not the answers.
                var minute = (int)clock.Elapsed.TotalMinutes;
                for (var due = (long)(clock.Elapsed.TotalSeconds * rate); sent < due; sent++)
                {
                    if (Volatile.Read(ref outstanding) >= MaxOutstanding)
                    {
                        statuses[minute].AddOrUpdate("client_dropped", 1, (_, n) => n + 1);
                        continue;
                    }
                    var bad = random.Next(5) == 0;
                    var (path, body) = bad ? invalid[random.Next(invalid.Length)] : valid[random.Next(valid.Length)];
                    Interlocked.Increment(ref outstanding);
                    pending[minute].Add(SendAsync(http, path, body, bad, statuses[minute], accepted[minute])
                        .ContinueWith(_ => Interlocked.Decrement(ref outstanding), TaskScheduler.Default));
                }
                if (minute > reported && pending[reported].TrueForAll(t => t.IsCompleted))
                {
                    Report(reported, statuses[reported], accepted[reported], ServerRss(server.Id));
                    pending[reported].Clear();
                    reported++;
                }
                await Task.Delay(5);
            }
            for (; reported < minutes; reported++)
            {
                await Task.WhenAll(pending[reported]);
                Report(reported, statuses[reported], accepted[reported], ServerRss(server.Id));
            }
            var ok = await http.PostAsJsonAsync("/v1/embeddings", new { input = "still serving" });
            Console.WriteLine(JsonSerializer.Serialize(new { workload = "soak", phase = "after", status = (int)ok.StatusCode, server_rss_mb = ServerRss(server.Id) }));
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }

    private static void Report(int minute, ConcurrentDictionary<string, int> statuses, ConcurrentBag<double> accepted, long rss)
    {
        var latencies = accepted.Order().ToList();
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            workload = "soak", minute = minute + 1,
            statuses = statuses.OrderBy(s => s.Key).ToDictionary(s => s.Key, s => s.Value),
            accepted_p50_ms = latencies.Count == 0 ? 0 : Math.Round(latencies[latencies.Count / 2], 1),
            accepted_p99_ms = latencies.Count == 0 ? 0 : Math.Round(latencies[(int)(latencies.Count * 0.99)], 1),
            server_rss_mb = rss,
        }));
    }

    private static async Task<int> ClosedLoopAsync(HttpClient http, (string Path, string Body)[] bodies, TimeSpan duration)
    {
        var clock = Stopwatch.StartNew();
        var completed = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async client =>
        {
            var random = new Random(client);
            while (clock.Elapsed < duration)
            {
                var (path, body) = bodies[random.Next(bodies.Length)];
                using var response = await http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref completed);
                }
            }
        }));
        return completed;
    }

    private static async Task SendAsync(HttpClient http, string path, string body, bool bad, ConcurrentDictionary<string, int> statuses,
        ConcurrentBag<double> accepted)
    {
        var clock = Stopwatch.StartNew();
        string key;
        try
        {
            using var response = await http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
            var status = (int)response.StatusCode;
            await response.Content.ReadAsStringAsync();
            key = status switch
            {
                >= 200 and < 300 => bad ? "200_for_invalid" : "200",
                429 => "429",
                >= 400 and < 500 => bad ? "4xx_invalid" : $"{status}_for_valid",
                _ => status.ToString(),
            };
            if (status is >= 200 and < 300)
            {
                accepted.Add(clock.Elapsed.TotalMilliseconds);
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            key = "connection_error";
        }
        statuses.AddOrUpdate(key, 1, (_, n) => n + 1);
    }

    private static (string Path, string Body)[] Bodies(bool valid)
    {
        var words = "the capital of china is beijing gravity is a force rivers flow to the sea 北京 是 中国 的 首都".Split(' ');
        var random = new Random(valid ? 1 : 2);
        string Text(int count) => string.Join(' ', Enumerable.Range(0, count).Select(_ => words[random.Next(words.Length)]));
        if (valid)
        {
            return Enumerable.Range(0, 64).Select(i => (i % 3) switch
            {
                0 => ("/v1/embeddings", JsonSerializer.Serialize(new { input = Enumerable.Range(0, 4).Select(_ => Text(60)).ToArray() })),
                1 => ("/v1/rerank", JsonSerializer.Serialize(new { query = Text(12), documents = Enumerable.Range(0, 8).Select(_ => Text(40)).ToArray() })),
                _ => ("/embed", JsonSerializer.Serialize(new { inputs = Text(100) })),
            }).ToArray();
        }
        return
        [
            ("/v1/embeddings", "{\"input\": [\"a\", "),
            ("/v1/embeddings", "{\"input\": 42}"),
            ("/v1/embeddings", JsonSerializer.Serialize(new { input = Enumerable.Repeat("x", 600).ToArray() })),
            ("/v1/embeddings", "{\"input\": \"x\", \"dimensions\": 5}"),
            ("/v1/embeddings", "{\"input\": \"\"}"),
            ("/v1/rerank", "{\"query\": \"q\", \"documents\": []}"),
            ("/v1/rerank", "{\"query\": 3, \"documents\": [\"a\"]}"),
            ("/embed", "[1, 2, 3]"),
            ("/tokenize", "{\"inputs\": {\"nested\": true}}"),
            ("/decode", "{\"ids\": [999999999]}"),
        ];
    }

    private static long ServerRss(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return line is null ? -1 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
    }
}
