using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Sift.Kernels;

/// <summary>
/// Quantizes activation rows for the int8 GEMM: per row, blocks of 32 (aligned with the weights'
/// Q8_0 blocks), each with its own scale max|x| / 32767 and int16 values. 15-bit activations keep
/// the quantization error of the product to the weights' own (which int8 activations would double),
/// at the same multiply rate: vpmaddwd takes int16 pairs either way.
/// </summary>
internal static unsafe class ActivationQuantizer
{
    private const float Int16Limit = 32767f;

    /// <summary>Bytes needed for <paramref name="rows"/> rows of <paramref name="blocks"/> blocks.</summary>
    public static long Bytes(int rows, int blocks) => (long)rows * blocks * (Q8Blocks.BlockSize * sizeof(short) + sizeof(float));

    /// <summary>
    /// Row r's values land at values + r·blocks·32 (int16), its block scales at scales + r·blocks.
    /// Columns past <paramref name="columns"/> up to whole blocks are zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void QuantizeRow(float* row, int columns, int blocks, short* values, float* scales)
    {
        var block = stackalloc float[Q8Blocks.BlockSize];
        for (var b = 0; b < blocks; b++)
        {
            var start = b * Q8Blocks.BlockSize;
            var width = Math.Min(Q8Blocks.BlockSize, columns - start);
            float* source;
            if (width == Q8Blocks.BlockSize)
            {
                source = row + start;
            }
            else
            {
                new Span<float>(block, Q8Blocks.BlockSize).Clear();
                new ReadOnlySpan<float>(row + start, width).CopyTo(new Span<float>(block, Q8Blocks.BlockSize));
                source = block;
            }
            var low = Vector512.Load(source);
            var high = Vector512.Load(source + 16);
            var magnitudes = Vector512.Max(Vector512.Abs(low), Vector512.Abs(high));
            var amax = 0f;
            for (var i = 0; i < Vector512<float>.Count; i++)
            {
                amax = Math.Max(amax, magnitudes.GetElement(i));
            }
            var factor = Vector512.Create(amax == 0 ? 0f : Int16Limit / amax);
            var quantized = Vector512.Narrow(
                Vector512.ConvertToInt32(Vector512.Round(low * factor)),
                Vector512.ConvertToInt32(Vector512.Round(high * factor)));
            quantized.Store(values + (long)b * Q8Blocks.BlockSize);
            scales[b] = amax / Int16Limit;
        }
    }
}
