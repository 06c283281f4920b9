using System.Text.Json;
using Sift.Kernels;

namespace Sift.Bench;

/// <summary>
/// How far the reference's float32 RoPE angles (what Sift now builds) are from exact ones, by
/// position range, at the real head_dim 128 and θ = 1e6: whether following the reference matters.
/// </summary>
internal static class RopeBenchmark
{
    public static void Run(BenchOptions options)
    {
        const int headDim = 128;
        const double theta = 1_000_000;
        const int half = headDim / 2;
        foreach (var (first, end) in new[] { (0, 8192), (8192, 16384), (16384, 32768) })
        {
            var cos = new float[(end - first) * half];
            var sin = new float[(end - first) * half];
            Rope.BuildTables(first, end - first, headDim, theta, cos, sin);
            double angle = 0, cosine = 0;
            for (var p = first; p < end; p++)
            {
                for (var i = 0; i < half; i++)
                {
                    var exact = p / Math.Pow(theta, 2.0 * i / headDim);
                    angle = Math.Max(angle, Math.Abs((float)p * Rope.InverseFrequency(i, headDim, theta) - exact));
                    cosine = Math.Max(cosine, Math.Max(Math.Abs(cos[(p - first) * half + i] - Math.Cos(exact)), Math.Abs(sin[(p - first) * half + i] - Math.Sin(exact))));
                }
            }
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                workload = "rope", positions = $"{first}..{end - 1}", max_angle_difference = Math.Round(angle, 6), max_cos_sin_difference = Math.Round(cosine, 6),
            }));
        }
    }
}
