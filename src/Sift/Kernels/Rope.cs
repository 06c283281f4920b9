namespace Sift.Kernels;

/// <summary>
/// Rotary position embedding, "rotate half" form: element i pairs with i + d/2 (not interleaved),
/// frequencies θ^(−2i/d). Angles are computed in double precision and rounded once.
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
        Span<double> frequencies = stackalloc double[half];
        for (var i = 0; i < half; i++)
        {
            frequencies[i] = 1.0 / Math.Pow(theta, 2.0 * i / headDim);
        }
        for (var p = 0; p < count; p++)
        {
            for (var i = 0; i < half; i++)
            {
                var angle = (double)(firstPosition + p) * frequencies[i];
                cos[p * half + i] = (float)Math.Cos(angle);
                sin[p * half + i] = (float)Math.Sin(angle);
            }
        }
    }

    /// <summary>Rotates one head vector in place with the cos/sin row of its position.</summary>
    public static void Apply(Span<float> head, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        var half = head.Length / 2;
        if (cos.Length < half || sin.Length < half)
        {
            throw new ArgumentException($"a head of {head.Length} needs {half} cos and sin values");
        }
        for (var i = 0; i < half; i++)
        {
            var x1 = head[i];
            var x2 = head[i + half];
            head[i] = x1 * cos[i] - x2 * sin[i];
            head[i + half] = x2 * cos[i] + x1 * sin[i];
        }
    }
}
