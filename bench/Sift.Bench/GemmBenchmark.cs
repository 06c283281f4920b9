using System.Diagnostics;
using System.Text.Json;
using Sift.Kernels;

namespace Sift.Bench;

/// <summary>
/// GFLOP/s (GOPS for int8: one multiply-add = 2 ops) of <see cref="Gemm"/> on the Qwen3-0.6B layer
/// shapes at M = 1, 32, 256, 2048, as a fraction of the ceiling of the instruction sequence the
/// kernel issues on this <see cref="KernelPath"/> (fp32 FMA; for int8 the u8×s8 or s16×s8 step),
/// measured in the same run on the same threads; for int8 also as a fraction of the ceiling of the
/// tile's whole sequence, those steps with the Q8_0 block's fp32 step
/// (<see cref="FmaPeak.MeasureInt8BlockGops"/>, <see cref="FmaPeak.MeasureInt16BlockGops"/>). Each figure is the best of repeated runs within
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

    /// <summary>
    /// The int8 ceilings alone (<c>--workload peaks --precision int8|int8a16 --rounds N</c>): the step
    /// and the block-sequence loops alternated N times, one second each, then the best of each. A
    /// ceiling is the best the hardware did; single bursts vary with code placement and neighbours.
    /// </summary>
    public static void RunPeaks(BenchOptions options)
    {
        using var pool = new WorkerPool(options.Threads);
        var bytes = options.Quantize switch
        {
            WeightFormat.Int8 => true,
            WeightFormat.Int8A16 => false,
            _ => throw new ArgumentException($"--workload peaks measures the int8 ceilings: --precision int8 or int8a16, not {options.Precision}"),
        };
        var budget = TimeSpan.FromSeconds(1);
        var steps = new List<double>();
        var blocks = new List<double>();
        for (var round = 0; round < Math.Max(1, options.Rounds); round++)
        {
            steps.Add(bytes ? FmaPeak.MeasureInt8Gops(pool, budget) : FmaPeak.MeasureInt16Gops(pool, budget));
            blocks.Add(bytes ? FmaPeak.MeasureInt8BlockGops(pool, budget) : FmaPeak.MeasureInt16BlockGops(pool, budget));
        }
        var path = KernelPath.Current;
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            workload = "peaks", threads = options.Threads, kernel_path = path.Name, precision = options.Precision,
            instructions = bytes ? path.Int8 : path.Int8A16, unit = "GOPS",
            step_peaks = steps.Select(p => Math.Round(p, 1)), block_sequence_peaks = blocks.Select(p => Math.Round(p, 1)),
            step_peak = Math.Round(steps.Max(), 1), block_sequence_peak = Math.Round(blocks.Max(), 1),
            block_share = Math.Round(blocks.Max() / steps.Max(), 3),
        }));
    }

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
        double? blockPeak = format switch
        {
            WeightFormat.Int8 => FmaPeak.MeasureInt8BlockGops(pool, PeakBudget),
            WeightFormat.Int8A16 => FmaPeak.MeasureInt16BlockGops(pool, PeakBudget),
            _ => null,
        };
        var path = KernelPath.Current;
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            workload = "peak", threads = options.Threads, kernel_path = path.Name, precision = options.Precision,
            instructions = format switch { WeightFormat.Int8 => path.Int8, WeightFormat.Int8A16 => path.Int8A16, _ => path.Float32 },
            peak = Math.Round(peak, 1), block_sequence_peak = blockPeak is { } b ? Math.Round(b, 1) : (double?)null,
            unit = PackedMatrix.IsInt8(format) ? "GOPS" : "GFLOP/s",
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
                    ms = Math.Round(best * 1000, 3), rate = Math.Round(rate, 1), percent_of_peak = Math.Round(100 * rate / peak, 1),
                    percent_of_block_sequence_peak = blockPeak is { } sequence ? Math.Round(100 * rate / sequence, 1) : (double?)null, runs,
                    clock = cpuTime ? "thread cpu time" : "wall",
                }));
            }
        }
    }
}
