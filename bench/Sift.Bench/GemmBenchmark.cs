using System.Diagnostics;
using System.Text.Json;
using Sift.Kernels;

namespace Sift.Bench;

/// <summary>
/// GFLOP/s (GOPS for int8: one multiply-add = 2 ops) of <see cref="Gemm"/> on the Qwen3-0.6B layer
/// shapes at M = 1, 32, 256, 2048, as a fraction of the ceiling of the instruction sequence the
/// kernel issues on this <see cref="KernelPath"/> (fp32 FMA; for int8 the u8×s8 or s16×s8 step),
/// measured in the same run on the same threads. Each figure is the best of repeated runs within
/// a time budget (with <c>--threads 1</c>, of the thread's CPU time, which a loaded machine's waits do not
/// inflate). M = 1 repeats the same matrix, which then sits in the L3 cache: it measures the
/// kernel, not DRAM. <c>--columns N</c> keeps only the first N output columns of each shape, so
/// that one run is short enough to land between other processes' time slices on a loaded machine.
/// </summary>
internal static class GemmBenchmark
{
    private static readonly TimeSpan PeakBudget = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan PointBudget = TimeSpan.FromSeconds(3);

    private static readonly (string Name, int N, int K, GemmOutput Output)[] Shapes =
    [
        ("qkv", 4096, 1024, GemmOutput.Store),
        ("o_proj", 1024, 2048, GemmOutput.Add),
        ("gate_up", 3072, 1024, GemmOutput.SwiGlu),
        ("down", 1024, 3072, GemmOutput.Add),
    ];

    public static void Run(BenchOptions options)
    {
        using var pool = new WorkerPool(options.Threads);
        var format = options.Precision switch
        {
            "bf16" => WeightFormat.BF16,
            "f16" => WeightFormat.F16,
            "f32" => WeightFormat.F32,
            _ => options.Quantize ?? throw new ArgumentException($"unknown precision {options.Precision}"),
        };
        var peak = format switch
        {
            WeightFormat.Int8 => FmaPeak.MeasureInt8Gops(pool, PeakBudget),
            WeightFormat.Int8A16 => FmaPeak.MeasureInt16Gops(pool, PeakBudget),
            _ => FmaPeak.MeasureGflops(pool, PeakBudget),
        };
        var path = KernelPath.Current;
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            workload = "peak", threads = options.Threads, kernel_path = path.Name, precision = options.Precision,
            instructions = format switch { WeightFormat.Int8 => path.Int8, WeightFormat.Int8A16 => path.Int8A16, _ => path.Float32 },
            peak = Math.Round(peak, 1), unit = PackedMatrix.IsInt8(format) ? "GOPS" : "GFLOP/s",
        }));
        // One thread: the calling thread does all the work, so its CPU time is the run's time without the waits.
        var cpuTime = options.Threads == 1 && ThreadClock.IsAvailable;
        var random = new Random(1);
        foreach (var (name, fullN, k, output) in Shapes)
        {
            var n = Math.Min(fullN, options.Columns ?? fullN);
            var weights = new float[(long)n * k];
            for (var i = 0; i < weights.Length; i++)
            {
                weights[i] = (float)(random.NextDouble() * 0.2 - 0.1);
            }
            using var packed = output == GemmOutput.SwiGlu
                ? WeightPacking.PackGateUp(format, n, k, weights, weights, pool)
                : WeightPacking.Pack(format, n, k, weights, pool);
            foreach (var m in new[] { 1, 32, 256, 2048 })
            {
                var a = new float[(long)m * k];
                for (var i = 0; i < a.Length; i++)
                {
                    a[i] = (float)(random.NextDouble() * 2 - 1);
                }
                var c = new float[(long)m * packed.OutputColumns];
                var flops = 2.0 * m * k * (output == GemmOutput.SwiGlu ? 2 * n : n);
                Gemm.Multiply(a, m, k, packed, c, packed.OutputColumns, output, pool);
                var best = double.MaxValue;
                var runs = 0;
                var total = Stopwatch.StartNew();
                while (runs < 3 || total.Elapsed < PointBudget)
                {
                    var clock = Stopwatch.StartNew();
                    var cpu = cpuTime ? ThreadClock.Seconds() : 0;
                    Gemm.Multiply(a, m, k, packed, c, packed.OutputColumns, output, pool);
                    best = Math.Min(best, cpuTime ? ThreadClock.Seconds() - cpu : clock.Elapsed.TotalSeconds);
                    runs++;
                }
                var rate = flops / best / 1e9;
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    workload = "gemm", precision = options.Precision, shape = name, m, n = output == GemmOutput.SwiGlu ? 2 * n : n, k,
                    ms = Math.Round(best * 1000, 3), rate = Math.Round(rate, 1), percent_of_peak = Math.Round(100 * rate / peak, 1), runs,
                    clock = cpuTime ? "thread cpu time" : "wall",
                }));
            }
        }
    }
}
