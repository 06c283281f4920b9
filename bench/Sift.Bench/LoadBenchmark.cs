using System.Diagnostics;
using System.Text.Json;
using Sift.Checkpoints;
using Sift.Engine;

namespace Sift.Bench;

/// <summary>
/// Loading a real-layout checkpoint from disk: time, and resident memory after load and after a
/// forward pass, next to the file size and the packed weights (the mapped file pages of packed
/// layers are released after packing; only the embedding rows a batch touches come back).
/// </summary>
internal static class LoadBenchmark
{
    public static void Run(BenchOptions options)
    {
        var config = ModelShapes.Get(options.Shape);
        var directory = Directory.CreateTempSubdirectory("sift-bench-load-").FullName;
        try
        {
            using (var checkpoint = new RandomCheckpoint(config))
            {
                SafetensorsWriter.Write(Path.Combine(directory, "model.safetensors"), checkpoint.TensorNames.Select(name =>
                {
                    checkpoint.TryGetTensor(name, out var tensor);
                    return new TensorToWrite(name, tensor!.Type, tensor.Shape.ToArray(), checkpoint.Memory(name));
                }));
            }
            File.WriteAllText(Path.Combine(directory, "config.json"), JsonSerializer.Serialize(config));
            File.Copy(Path.Combine(BenchPaths.Tokenizer, "tokenizer.json"), Path.Combine(directory, "tokenizer.json"));
            GC.Collect();
            var before = ResidentMegabytes();
            var clock = Stopwatch.StartNew();
            using var embedder = Embedder.Load(new ModelOptions { Model = directory, Quantize = options.Quantize });
            var seconds = clock.Elapsed.TotalSeconds;
            var afterLoad = ResidentMegabytes();
            embedder.Embed([EmbeddingInput.Document(string.Join(' ', Enumerable.Repeat("memory", 500)))]);
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                workload = "load", shape = options.Shape, precision = options.Precision,
                file_mb = new FileInfo(Path.Combine(directory, "model.safetensors")).Length / 1048576,
                packed_weights_mb = embedder.Model.PackedWeightBytes / 1048576,
                load_seconds = Math.Round(seconds, 1),
                rss_before_mb = before, rss_after_load_mb = afterLoad, rss_after_forward_mb = ResidentMegabytes(),
            }));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static long ResidentMegabytes()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
    }
}
