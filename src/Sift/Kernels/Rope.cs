using System.Runtime.Intrinsics;
using Sift.Kernels.Vectors;

namespace Sift.Kernels;

/// <summary>
/// Rotary position embedding, "rotate half" form: element i pairs with i + d/2 (not interleaved),
/// frequencies θ^(−2i/d). Angles follow the reference (Hugging Face's Qwen3RotaryEmbedding) in
/// float32: the inverse frequency, and its product with the position, are rounded to float32
/// before cos and sin; the model was trained with those angles, which at position 32K differ
/// from exact ones by up to ~2e-3 rad (docs/benchmarks.md, "RoPE precision").
/// </summary>
public static class Rope
{
    /// <summary>
    /// Fills cos and sin tables [count × headDim/2] for the positions firstPosition,
    /// firstPosition + 1, ...: row p holds position firstPosition + p.
    /// </summary>
    public static void BuildTables(int firstPosition, int count, int headDim, double theta, Span<float> cos, Span<float> sin)
    {
        var half = headDim / 2;
        if (firstPosition < 0 || count < 0 || cos.Length < count * half || sin.Length < count * half)
        {
            throw new ArgumentException($"tables need {count * half} entries for {count} positions from {firstPosition} of head_dim {headDim}");
        }
        Span<float> frequencies = stackalloc float[half];
        for (var i = 0; i < half; i++)
        {
            frequencies[i] = InverseFrequency(i, headDim, theta);
        }
        for (var p = 0; p < count; p++)
        {
            for (var i = 0; i < half; i++)
            {
                // float32 × float32, rounded to float32 as the reference's matmul does; cos and sin of that angle.
                var angle = (float)(firstPosition + p) * frequencies[i];
                cos[p * half + i] = (float)Math.Cos(angle);
                sin[p * half + i] = (float)Math.Sin(angle);
            }
        }
    }

    /// <summary>The reference's inv_freq[i] = 1 / θ^(2i/d), every step in float32.</summary>
    public static float InverseFrequency(int i, int headDim, double theta) => 1f / MathF.Pow((float)theta, (float)(2 * i) / headDim);

    /// <summary>Rotates one head vector in place with the cos/sin row of its position.</summary>
    public static unsafe void Apply(Span<float> head, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        var half = head.Length / 2;
        if (cos.Length < half || sin.Length < half)
        {
            throw new ArgumentException($"a head of {head.Length} needs {half} cos and sin values");
        }
        fixed (float* x = head)
        fixed (float* c = cos)
        fixed (float* s = sin)
        {
            if (KernelPath.Uses512)
            {
                Apply<Width512, Vector512<float>>(x, c, s, half);
            }
            else if (KernelPath.Uses256)
            {
                Apply<Width256, Vector256<float>>(x, c, s, half);
            }
            else
            {
                Apply<Width128, Vector128<float>>(x, c, s, half);
            }
        }
    }

    /// <summary>Multiplies and subtracts (or adds) separately, as the scalar tail does: the same bits on every element and path.</summary>
    private static unsafe void Apply<TWidth, TVector>(float* head, float* cos, float* sin, int half)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
    {
        var i = 0;
        for (; i <= half - TWidth.Count; i += TWidth.Count)
        {
            var x1 = TWidth.Load(head + i);
            var x2 = TWidth.Load(head + half + i);
            var c = TWidth.Load(cos + i);
            var s = TWidth.Load(sin + i);
            TWidth.Store(TWidth.Subtract(TWidth.Multiply(x1, c), TWidth.Multiply(x2, s)), head + i);
            TWidth.Store(TWidth.Add(TWidth.Multiply(x2, c), TWidth.Multiply(x1, s)), head + half + i);
        }
        for (; i < half; i++)
        {
            var x1 = head[i];
            var x2 = head[i + half];
            head[i] = x1 * cos[i] - x2 * sin[i];
            head[i + half] = x2 * cos[i] + x1 * sin[i];
        }
    }
}
