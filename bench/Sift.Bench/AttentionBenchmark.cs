using System.Diagnostics;
using System.Text.Json;
using Sift.Kernels;

namespace Sift.Bench;

/// <summary>GFLOP/s of the attention kernel alone: one layer of one sequence at the 0.6B head layout.</summary>
internal static class AttentionBenchmark
{
    public static void Run(BenchOptions options)
    {
        using var pool = new WorkerPool(options.Threads);
        var peak = FmaPeak.MeasureGflops(pool, TimeSpan.FromSeconds(3));
        var layout = new AttentionLayout(16, 8, 128);
        foreach (var length in new[] { 256, 2048, 8192 })
        {
            var random = new Random(1);
            var qkv = new float[(long)length * layout.QkvWidth];
            for (var i = 0; i < qkv.Length; i++)
            {
                qkv[i] = (float)(random.NextDouble() * 2 - 1);
            }
            var output = new float[(long)length * layout.QueryWidth];
            AttentionSequence[] sequences = [new(0, length, 0, 0, 0)];
            // Keys and values head-major, as the model lays them out.
            var keyValues = new float[2L * length * layout.KeyValueWidth];
            for (var i = 0; i < keyValues.Length; i++)
            {
                keyValues[i] = (float)(random.NextDouble() * 2 - 1);
            }
            var values = keyValues.AsSpan(length * layout.KeyValueWidth).ToArray();
            void Once() => Attention.Run(layout, qkv, layout.QkvWidth, keyValues, values, layout.HeadDim, length * layout.HeadDim,
                sequences, output, layout.QueryWidth, pool);
            Once();
            var times = new List<double>();
            for (var r = 0; r < Math.Max(3, 16384 / length); r++)
            {
                var clock = Stopwatch.StartNew();
                Once();
                times.Add(clock.Elapsed.TotalSeconds);
            }
            var median = times.Order().ElementAt(times.Count / 2);
            // Causal: about n²/2 scores per head, each a d-long dot product for QKᵀ and for PV.
            var flops = 4.0 * layout.HeadCount * layout.HeadDim * length * (length + 1) / 2.0;
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                workload = "attention", tokens = length, ms = Math.Round(median * 1000, 2), gflops = Math.Round(flops / median / 1e9, 1),
                percent_of_peak = Math.Round(100 * flops / median / 1e9 / peak, 1),
            }));
        }
    }
}
