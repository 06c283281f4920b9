using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.RegularExpressions;

namespace Sift.Bench;

/// <summary>
/// `sift serve --max-memory` at a real shape (random bf16 weights): the plan the server logs, then
/// concurrent requests at the longest admitted input, then the server process's peak resident
/// memory (VmHWM) against the budget. Usage: --workload memory --shape qwen3-0.6b --max-memory 1600MB.
/// </summary>
internal static partial class MemoryBudgetBenchmark
{
    private const int ConcurrentRequests = 6;

    public static async Task RunAsync(BenchOptions options)
    {
        var model = ServerLoadBenchmark.WriteRandomModel(options.Shape, BenchPaths.Tokenizer);
        try
        {
            var start = new ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "Sift.Cli.dll"), "serve", "--model", model,
                "--port", "0", "--max-memory", options.MaxMemory]) { RedirectStandardError = true, RedirectStandardOutput = true };
            using var server = Process.Start(start)!;
            var log = new List<string>();
            var listening = new TaskCompletionSource<Uri>();
            server.ErrorDataReceived += (_, e) =>
            {
                lock (log)
                {
                    log.Add(e.Data ?? "");
                }
                if (e.Data is { } line && Regex.Match(line, "listening on (http://\\S+)") is { Success: true } match)
                {
                    listening.TrySetResult(new Uri(match.Groups[1].Value));
                }
            };
            server.OutputDataReceived += (_, e) =>
            {
                lock (log)
                {
                    log.Add(e.Data ?? "");
                }
            };
            server.BeginErrorReadLine();
            server.BeginOutputReadLine();
            try
            {
                using var http = new HttpClient { BaseAddress = await listening.Task, Timeout = TimeSpan.FromHours(1) };
                var clock = Stopwatch.StartNew();
                while (!(await http.GetAsync("/ready")).IsSuccessStatusCode)
                {
                    await Task.Delay(200);
                }
                Console.WriteLine($"ready after {clock.Elapsed.TotalSeconds:F1} s; peak RSS so far {Peak(server.Id) >> 20} MiB");
                string plan;
                lock (log)
                {
                    plan = log.First(line => line.Contains("memory budget", StringComparison.Ordinal));
                }
                Console.WriteLine(plan[plan.IndexOf("memory budget", StringComparison.Ordinal)..]);
                var length = int.Parse(Regex.Match(plan, "longest embedding input (\\d+)").Groups[1].Value, CultureInfo.InvariantCulture);

                var random = new Random(5);
                clock.Restart();
                var requests = Enumerable.Range(0, ConcurrentRequests).Select(_ => http.PostAsJsonAsync("/v1/embeddings",
                    new { input = new[] { Enumerable.Range(0, length - 1).Select(_ => random.Next(100, 150_000)).ToArray() } })).ToArray();
                var statuses = (await Task.WhenAll(requests)).Select(r => (int)r.StatusCode).ToArray();
                var budget = long.Parse(Regex.Match(plan, "memory budget (\\d+) MiB").Groups[1].Value, CultureInfo.InvariantCulture) << 20;
                var peak = Peak(server.Id);
                Console.WriteLine($"{ConcurrentRequests} concurrent requests of {length - 1} tokens: statuses {string.Join(",", statuses)} in {clock.Elapsed.TotalSeconds:F1} s");
                Console.WriteLine($"peak RSS {peak >> 20} MiB of a {budget >> 20} MiB budget ({(double)peak / budget:P1})");
            }
            finally
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync();
            }
        }
        finally
        {
            Directory.Delete(model, recursive: true);
        }
    }

    /// <summary>VmHWM: the most resident memory the process has had.</summary>
    private static long Peak(int pid) =>
        long.Parse(Regex.Match(File.ReadAllText($"/proc/{pid}/status"), "VmHWM:\\s+(\\d+) kB").Groups[1].Value, CultureInfo.InvariantCulture) * 1024;
}
