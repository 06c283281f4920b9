using System.Text.Json;
using Sift.Kernels;

namespace Sift.Bench;

/// <summary>
/// The int8 GEMM's activation quantization pass alone (<see cref="ActivationQuantizer"/>), one thread,
/// on this process's kernel path: nanoseconds and cycles-at-nominal-clock per value for row
/// lengths of the 0.6B shape's projections, rows small enough to stay in L2 (the cost of the
/// arithmetic) and as large as an engine chunk (the cost with the memory traffic).
/// </summary>
internal static unsafe class QuantizeBenchmark
{
    private static readonly TimeSpan PointBudget = TimeSpan.FromSeconds(1.5);

    public static void Run(BenchOptions options)
    {
        var random = new Random(1);
        foreach (var format in new[] { WeightFormat.Int8, WeightFormat.Int8A16 })
        {
            foreach (var (columns, rows) in new[] { (1024, 64), (2048, 64), (3072, 64), (1024, 2048), (2048, 2048), (3072, 2048) })
            {
                var layout = Int8Layout.For(format, columns);
                var blocks = layout.Blocks(columns);
                using var source = new NativeBuffer<float>();
                source.EnsureCapacity((long)rows * columns);
                var values = source.AsSpan(rows * columns);
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = (float)(random.NextDouble() * 2 - 1);
                }
                using var output = new NativeBuffer<byte>();
                output.EnsureCapacity(layout.ActivationBytes(rows, blocks));
                var best = double.MaxValue;
                var runs = 0;
                var total = System.Diagnostics.Stopwatch.StartNew();
                while (runs < 5 || total.Elapsed < PointBudget)
                {
                    var start = ThreadClock.Seconds();
                    QuantizeAll(layout, source.Pointer, rows, columns, blocks, output.Pointer);
                    best = Math.Min(best, ThreadClock.Seconds() - start);
                    runs++;
                }
                var nanoseconds = best * 1e9 / ((double)rows * columns);
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    workload = "quantize", kernel_path = KernelPath.Current.Name, precision = format == WeightFormat.Int8 ? "int8" : "int8a16",
                    rows, columns, ms = Math.Round(best * 1000, 3), ns_per_value = Math.Round(nanoseconds, 3), runs,
                }));
            }
        }
    }

    private static void QuantizeAll(Int8Layout layout, float* source, int rows, int columns, int blocks, byte* output)
    {
        var valueBytes = layout.ActivationRowBytes(blocks);
        var scales = (float*)(output + rows * valueBytes);
        for (var r = 0; r < rows; r++)
        {
            ActivationQuantizer.QuantizeRow(layout, source + (long)r * columns, columns, blocks, output + r * valueBytes, scales + (long)r * blocks);
        }
    }
}
