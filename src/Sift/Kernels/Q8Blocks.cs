namespace Sift.Kernels;

/// <summary>
/// Q8_0 quantization, as llama.cpp defines it: blocks of 32 values, scale d = max|x| / 127 stored
/// as fp16, q = round(x / d) (half away from zero). Re-quantizing dequantized Q8_0 values gives the
/// same bytes back, so GGUF Q8_0 weights pass through Sift's packing without loss.
/// </summary>
public static class Q8Blocks
{
    /// <summary>Values per block.</summary>
    public const int BlockSize = 32;

    /// <summary>Quantizes one block; returns the scale (already rounded to fp16).</summary>
    public static float Quantize(ReadOnlySpan<float> values, Span<sbyte> quantized)
    {
        if (values.Length != BlockSize || quantized.Length < BlockSize)
        {
            throw new ArgumentException($"a Q8_0 block holds {BlockSize} values");
        }
        return QuantizeAnyLength(values, quantized);
    }

    /// <summary>
    /// The same rules over a block of any length (the fast int8 format's blocks of
    /// <see cref="Int8Layout.WideBlockSize"/>); returns the scale, rounded to fp16.
    /// </summary>
    internal static float QuantizeAnyLength(ReadOnlySpan<float> values, Span<sbyte> quantized)
    {
        if (quantized.Length < values.Length)
        {
            throw new ArgumentException($"{values.Length} values do not fit {quantized.Length} quantized slots", nameof(quantized));
        }
        var max = 0f;
        foreach (var value in values)
        {
            max = Math.Max(max, Math.Abs(value));
        }
        var scale = max / 127f;
        var inverse = scale != 0 ? 1f / scale : 0f;
        for (var i = 0; i < values.Length; i++)
        {
            quantized[i] = (sbyte)MathF.Round(values[i] * inverse, MidpointRounding.AwayFromZero);
        }
        return (float)(Half)scale;
    }
}
