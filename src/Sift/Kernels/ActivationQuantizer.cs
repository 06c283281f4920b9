using System.Runtime.CompilerServices;
using Sift.Kernels.Vectors;

namespace Sift.Kernels;

/// <summary>
/// Quantizes activation rows for the int8 GEMM, per row in blocks aligned with the weights' blocks
/// (<see cref="Int8Layout"/>: 128 or 32 values), each block with its own scale: finer than one scale per
/// tensor (ONNX Runtime's dynamic quantization) or per row, so an outlier costs precision only in its own block.
/// </summary>
internal static unsafe class ActivationQuantizer
{
    /// <summary>
    /// The 8-bit mode's range: q in [−63, 63], stored as q + 64 in a byte. Two products of such a byte
    /// with an int8 weight (|w| ≤ 127) sum to at most 2·127·127 = 32258, inside int16: vpmaddubsw's
    /// saturation cannot happen by construction, and every path computes the same exact sums.
    /// </summary>
    public const int ByteLimit = 63;

    /// <summary>Added to each 8-bit value so that it is a non-negative byte (the u8 operand of u8×s8 instructions).</summary>
    public const int ByteOffset = 64;

    /// <summary>The 16-bit mode's range: q in [−32767, 32767].</summary>
    private const float Int16Limit = 32767f;

    /// <summary>
    /// One row in <paramref name="layout"/>'s mode on this process's <see cref="KernelPath"/> (values:
    /// bytes for <see cref="WeightFormat.Int8"/>, int16 for <see cref="WeightFormat.Int8A16"/>), for
    /// callers outside the GEMM: the benchmark and the ARM64 check.
    /// </summary>
    public static void QuantizeRow(Int8Layout layout, float* row, int columns, int blocks, byte* values, float* scales)
    {
        if (KernelPath.Uses512)
        {
            QuantizeRow<Width512, System.Runtime.Intrinsics.Vector512<float>>(layout, row, columns, blocks, values, scales);
        }
        else if (KernelPath.Uses256)
        {
            QuantizeRow<Width256, System.Runtime.Intrinsics.Vector256<float>>(layout, row, columns, blocks, values, scales);
        }
        else
        {
            QuantizeRow<Width128, System.Runtime.Intrinsics.Vector128<float>>(layout, row, columns, blocks, values, scales);
        }
    }

    /// <summary>
    /// One row of <paramref name="layout"/>'s activations: values at <paramref name="values"/> (bytes q + 64
    /// for <see cref="WeightFormat.Int8"/>, int16 for <see cref="WeightFormat.Int8A16"/>), one scale per
    /// block at <paramref name="scales"/>. Columns past <paramref name="columns"/> up to whole blocks
    /// quantize as zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void QuantizeRow<TWidth, TVector>(Int8Layout layout, float* row, int columns, int blocks, byte* values, float* scales)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
    {
        var bytes = layout.ByteActivations;
        var blockBytes = layout.ActivationBlockBytes;
        var blockSize = layout.BlockSize;
        var whole = Math.Min(blocks, columns / blockSize);
        for (var b = 0; b < whole; b++)
        {
            scales[b] = QuantizeBlock<TWidth, TVector>(bytes, row + (long)b * blockSize, blockSize, values + (long)b * blockBytes);
        }
        if (whole < blocks)
        {
            var padded = stackalloc float[Int8Layout.WideBlockSize];
            for (var b = whole; b < blocks; b++)
            {
                scales[b] = QuantizeBlock<TWidth, TVector>(bytes, PaddedBlock(row, columns, b, blockSize, padded), blockSize, values + (long)b * blockBytes);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float QuantizeBlock<TWidth, TVector>(bool bytes, float* source, int length, byte* destination)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct =>
        bytes ? BlockToBytes<TWidth, TVector>(source, length, destination) : BlockToInt16<TWidth, TVector>(source, length, (short*)destination);

    /// <summary>One block as bytes q + 64, q = round(x · 63 / max|x|); returns the block's scale max|x| / 63 (NaN in, NaN scale).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float BlockToBytes<TWidth, TVector>(float* source, int length, byte* destination)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
    {
        var amax = TWidth.MaxMagnitude(source, length);
        var factor = TWidth.Create(Factor(ByteLimit, amax));
        for (var i = 0; i < length; i += TWidth.Count)
        {
            TWidth.StoreRoundedBytes(TWidth.Multiply(TWidth.Load(source + i), factor), ByteOffset, destination + i);
        }
        return amax / ByteLimit;
    }

    /// <summary>One block as int16 q = round(x · 32767 / max|x|); returns the block's scale max|x| / 32767.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float BlockToInt16<TWidth, TVector>(float* source, int length, short* destination)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
    {
        var amax = TWidth.MaxMagnitude(source, length);
        var factor = TWidth.Create(Factor(Int16Limit, amax));
        for (var i = 0; i < length; i += 2 * TWidth.Count)
        {
            TWidth.StoreRoundedInt16(TWidth.Multiply(TWidth.Load(source + i), factor), TWidth.Multiply(TWidth.Load(source + i + TWidth.Count), factor),
                destination + i);
        }
        return amax / Int16Limit;
    }

    /// <summary>
    /// limit / max|x|, or 0 when that is not a finite number for a finite max: a zero block, or one
    /// whose largest value is below limit / float.MaxValue (about 1e-37, under the normal range), is
    /// stored as zeros rather than as ∞·x, whose conversion differs by CPU. A NaN or infinite max
    /// keeps its NaN or zero factor and gives the block a non-finite scale.
    /// </summary>
    private static float Factor(float limit, float amax)
    {
        var factor = limit / amax;
        return float.IsFinite(amax) && !float.IsFinite(factor) ? 0f : factor;
    }

    /// <summary>A zero-padded copy of block b of the row (its last, partial block, or one wholly past the columns).</summary>
    private static float* PaddedBlock(float* row, int columns, int b, int blockSize, float* padded)
    {
        var start = b * blockSize;
        var width = Math.Clamp(columns - start, 0, blockSize);
        new Span<float>(padded, blockSize).Clear();
        new ReadOnlySpan<float>(row + start, width).CopyTo(new Span<float>(padded, blockSize));
        return padded;
    }
}
