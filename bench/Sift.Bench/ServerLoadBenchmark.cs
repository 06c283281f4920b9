using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Sift.Checkpoints;
using Sift.Engine;
using Sift.Server.Hosting;
using Sift.Tokenization;

namespace Sift.Bench;

/// <summary>
/// Load generator for `sift serve`: the server runs in this process on 127.0.0.1; clients at
/// concurrency 1, 8 and 32 post /v1/embeddings requests (4 documents of 128 tokens each) and the
/// run reports requests/s, p50/p99 latency and tokens/s, then the engine's direct throughput on the
/// same inputs, and their ratio. After an untimed warm-up, each figure is the best of --rounds runs.
/// </summary>
internal static class ServerLoadBenchmark
{
    private const int DocumentsPerRequest = 4;
    private const int TokensPerDocument = 128;

    public static async Task RunAsync(BenchOptions options)
    {
        var tokenizerDirectory = BenchPaths.Tokenizer;
        var (modelDirectory, temporary) = options.Shape == "fixture"
            ? (tokenizerDirectory, false)
            : (WriteRandomModel(options.Shape, tokenizerDirectory), true);
        try
        {
            var tokenizer = Tokenizer.Load(tokenizerDirectory);
            var text = new TextGenerator(tokenizer, seed: 7);
            var requests = options.Shape == "fixture" ? 512 : 48;
            var bodies = Enumerable.Range(0, requests)
                .Select(_ => Enumerable.Range(0, DocumentsPerRequest).Select(_ => text.Text(TokensPerDocument - 1)).ToArray()).ToArray();

            var app = SiftServer.Build(new ServerOptions { Model = modelDirectory, Port = 0 });
            await app.StartAsync();
            var address = SiftServer.ListeningAddress(app);
            using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(30) };
            while (!(await http.GetAsync("/ready")).IsSuccessStatusCode)
            {
                await Task.Delay(100);
            }
            // Warm-up, untimed: tiered JIT compiles Kestrel's, the JSON and the clients' hot paths during
            // the first few hundred requests (measured: a fifth of a cold run's samples were the JIT thread).
            await RunClientsAsync(http, options.Shape == "fixture" ? bodies : bodies[..4], concurrency: 8);

            double serverTokensPerSecond = 0;
            foreach (var concurrency in new[] { 1, 8, 32 })
            {
                // Best of --rounds runs, like the kernel benchmarks: on a shared machine noise only slows a run down.
                var (seconds, latencies, tokens) = (double.MaxValue, new List<double>(), 0L);
                for (var round = 0; round < options.Rounds; round++)
                {
                    var run = await RunClientsAsync(http, bodies, concurrency);
                    if (run.Seconds < seconds)
                    {
                        (seconds, latencies, tokens) = run;
                    }
                }
                serverTokensPerSecond = tokens / seconds;
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    workload = "server", shape = options.Shape, concurrency, requests = bodies.Length,
                    requests_per_s = Math.Round(bodies.Length / seconds, 1),
                    p50_ms = Math.Round(Percentile(latencies, 0.50), 1),
                    p99_ms = Math.Round(Percentile(latencies, 0.99), 1),
                    tokens_per_s = Math.Round(tokens / seconds, 1),
                }));
            }
            await app.StopAsync();
            await app.DisposeAsync();

            using var embedder = Embedder.Load(new ModelOptions { Model = modelDirectory, MaxBatchTokens = new ServerOptions().MaxBatchTokens });
            var inputs = bodies.SelectMany(b => b).Select(EmbeddingInput.Document).ToArray();
            embedder.Embed(inputs.Take(DocumentsPerRequest).ToArray());
            var directTokensPerSecond = 0.0;
            for (var round = 0; round < options.Rounds; round++)
            {
                var clock = Stopwatch.StartNew();
                var results = embedder.Embed(inputs);
                directTokensPerSecond = Math.Max(directTokensPerSecond, results.Sum(r => r.TokenCount) / clock.Elapsed.TotalSeconds);
            }
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                workload = "server_vs_engine", shape = options.Shape,
                engine_tokens_per_s = Math.Round(directTokensPerSecond, 1),
                server_tokens_per_s_at_32 = Math.Round(serverTokensPerSecond, 1),
                ratio = Math.Round(serverTokensPerSecond / directTokensPerSecond, 3),
            }));
        }
        finally
        {
            if (temporary)
            {
                Directory.Delete(modelDirectory, recursive: true);
            }
        }
    }

    private static async Task<(double Seconds, List<double> Latencies, long Tokens)> RunClientsAsync(HttpClient http, string[][] bodies, int concurrency)
    {
        var next = -1;
        var latencies = new List<double>();
        long tokens = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < bodies.Length)
            {
                var started = Stopwatch.GetTimestamp();
                var response = await http.PostAsJsonAsync("/v1/embeddings", new { input = bodies[index] });
                response.EnsureSuccessStatusCode();
                using var json = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                lock (latencies)
                {
                    latencies.Add(elapsed);
                    tokens += json.RootElement.GetProperty("usage").GetProperty("total_tokens").GetInt32();
                }
            }
        })));
        return (clock.Elapsed.TotalSeconds, latencies, tokens);
    }

    internal static double Percentile(List<double> values, double fraction)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(fraction * sorted.Length) - 1)];
    }

    /// <summary>A random-weight model directory at a real shape (bf16 safetensors, the fixture's tokenizer).</summary>
    /// <summary>Writes a random-weight model of a real shape (bf16 safetensors, the real tokenizer) to a temporary directory.</summary>
    internal static string WriteRandomModel(string shape, string tokenizerDirectory)
    {
        var config = ModelShapes.Get(shape);
        var directory = Directory.CreateTempSubdirectory("sift-bench-model-").FullName;
        using var checkpoint = new RandomCheckpoint(config);
        SafetensorsWriter.Write(Path.Combine(directory, "model.safetensors"), checkpoint.TensorNames.Select(name =>
        {
            checkpoint.TryGetTensor(name, out var tensor);
            return new TensorToWrite(name, tensor!.Type, tensor.Shape.ToArray(), checkpoint.Memory(name));
        }));
        File.WriteAllText(Path.Combine(directory, "config.json"), JsonSerializer.Serialize(config));
        File.Copy(Path.Combine(tokenizerDirectory, "tokenizer.json"), Path.Combine(directory, "tokenizer.json"));
        return directory;
    }
}
