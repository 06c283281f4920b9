using System.Runtime.CompilerServices;
using Sift.Kernels.Vectors;

namespace Sift.Kernels;

internal static unsafe partial class MicroKernel
{
    /// <summary>
    /// Rows per int8 tile: 4 rows × 2 vectors of int32 block sums, 2 weight vectors, a broadcast and
    /// the instruction sequence's temporaries fit AVX2's 16 registers; the fp32 totals live in the
    /// caller's L1-resident accumulators and are touched once per block of inputs.
    /// </summary>
    public const int Int8Rows = 4;

    /// <summary>
    /// Int8 weights × 7-bit activations (<see cref="WeightFormat.Int8"/>) for up to <see cref="Int8Rows"/>
    /// rows and one panel. Per block (<see cref="Int8Layout.BlockSize"/>: 128 or 32 inputs), each output's products are summed exactly in int32 (four
    /// at a time by TWidth's u8×s8 instruction), then added to the fp32 total as (sum · weight scale) ·
    /// activation scale. Activations are stored as q + 64 (1..127); the panel holds −64·Σw per column
    /// and block, which starts each block's sum, so the offset cancels exactly.
    /// </summary>
    /// <param name="rows">Activation rows in this tile.</param>
    /// <param name="a">Row 0's quantized values; row r starts <paramref name="aStride"/> bytes later.</param>
    /// <param name="aStride">Bytes between activation rows.</param>
    /// <param name="scales">Row 0's block scales; row r's start <paramref name="scaleStride"/> later.</param>
    /// <param name="scaleStride">Scales between activation rows.</param>
    /// <param name="panel">The packed int8 panel (<see cref="PackedMatrix"/> describes its layout).</param>
    /// <param name="blocks">Blocks of input features.</param>
    /// <param name="layout">The matrix's block size and panel layout.</param>
    /// <param name="accumulators">Output: row r's fp32 totals at r × 2 · TWidth.Count.</param>
    /// <param name="continueTotals">Whether the totals start from what <paramref name="accumulators"/> holds (a later slice of the
    /// inputs, <see cref="Gemm"/>) rather than from zero; either way the same operations in the same order, so the same bits.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RunBytes<TWidth, TVector, TInt>(int rows, byte* a, nint aStride, float* scales, nint scaleStride, byte* panel, int blocks, Int8Layout layout,
        float* accumulators, bool continueTotals)
        where TWidth : struct, IVectorWidth<TVector>, IInt8Width<TInt, TVector>
        where TVector : struct
        where TInt : struct
    {
        switch (rows)
        {
            case 4: TileBytes<TWidth, TVector, TInt, Rows4>(a, aStride, scales, scaleStride, panel, blocks, layout, accumulators, continueTotals); break;
            case 3: TileBytes<TWidth, TVector, TInt, Rows3>(a, aStride, scales, scaleStride, panel, blocks, layout, accumulators, continueTotals); break;
            case 2: TileBytes<TWidth, TVector, TInt, Rows2>(a, aStride, scales, scaleStride, panel, blocks, layout, accumulators, continueTotals); break;
            case 1: TileBytes<TWidth, TVector, TInt, Rows1>(a, aStride, scales, scaleStride, panel, blocks, layout, accumulators, continueTotals); break;
            default: throw new ArgumentOutOfRangeException(nameof(rows), rows, $"an int8 tile has 1..{Int8Rows} rows");
        }
    }

    /// <summary>
    /// Int8 weights × 15-bit activations (<see cref="WeightFormat.Int8A16"/>): as <see cref="RunBytes"/>,
    /// with int16 activations multiplied two at a time (vpmaddwd) and no offset.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RunPairs<TWidth, TVector, TInt>(int rows, short* a, nint aStride, float* scales, nint scaleStride, byte* panel, int blocks, Int8Layout layout,
        float* accumulators, bool continueTotals)
        where TWidth : struct, IVectorWidth<TVector>, IInt8Width<TInt, TVector>
        where TVector : struct
        where TInt : struct
    {
        switch (rows)
        {
            case 4: TilePairs<TWidth, TVector, TInt, Rows4>(a, aStride, scales, scaleStride, panel, blocks, layout, accumulators, continueTotals); break;
            case 3: TilePairs<TWidth, TVector, TInt, Rows3>(a, aStride, scales, scaleStride, panel, blocks, layout, accumulators, continueTotals); break;
            case 2: TilePairs<TWidth, TVector, TInt, Rows2>(a, aStride, scales, scaleStride, panel, blocks, layout, accumulators, continueTotals); break;
            case 1: TilePairs<TWidth, TVector, TInt, Rows1>(a, aStride, scales, scaleStride, panel, blocks, layout, accumulators, continueTotals); break;
            default: throw new ArgumentOutOfRangeException(nameof(rows), rows, $"an int8 tile has 1..{Int8Rows} rows");
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void TileBytes<TWidth, TVector, TInt, TRows>(byte* a, nint aStride, float* scales, nint scaleStride, byte* panel, int blocks, Int8Layout layout,
        float* accumulators, bool continueTotals)
        where TWidth : struct, IVectorWidth<TVector>, IInt8Width<TInt, TVector>
        where TVector : struct
        where TInt : struct
        where TRows : struct, IRowCount
    {
        var n = TWidth.Count;
        if (!continueTotals)
        {
            ClearTotals<TWidth, TVector, TRows>(accumulators);
        }
        var step = 8 * n;
        var blockBytes = layout.PanelBlockBytes(2 * n);
        var (weightScalesOffset, correctionsOffset) = (layout.WeightScalesOffset(2 * n), layout.CorrectionsOffset(2 * n));
        var block = layout.BlockSize;
        for (var b = 0; b < blocks; b++, panel += blockBytes, a += block)
        {
            var weightScales = (float*)(panel + weightScalesOffset);
            var corrections = (int*)(panel + correctionsOffset);
            var i00 = TWidth.LoadInt32(corrections);
            var i01 = TWidth.LoadInt32(corrections + n);
            TInt i10 = i00, i11 = i01, i20 = i00, i21 = i01, i30 = i00, i31 = i01;
            var weights = panel;
            // Each row's own pointer, indexed by the step: the JIT does not hoist a + k·aStride, and with it
            // the AVX2 loop had 23 instructions per 8 dot products instead of 17.
            var a1 = a + aStride;
            var a2 = a + 2 * aStride;
            var a3 = a + 3 * aStride;
            for (nint s = 0; s < block; s += 4, weights += step)
            {
                var w0 = TWidth.LoadBytes(weights);
                var w1 = TWidth.LoadBytes(weights + 4 * n);
                var x = TWidth.CreateInt32(*(int*)(a + s));
                i00 = TWidth.DotBytes(i00, x, w0);
                i01 = TWidth.DotBytes(i01, x, w1);
                if (TRows.Value > 1)
                {
                    x = TWidth.CreateInt32(*(int*)(a1 + s));
                    i10 = TWidth.DotBytes(i10, x, w0);
                    i11 = TWidth.DotBytes(i11, x, w1);
                }
                if (TRows.Value > 2)
                {
                    x = TWidth.CreateInt32(*(int*)(a2 + s));
                    i20 = TWidth.DotBytes(i20, x, w0);
                    i21 = TWidth.DotBytes(i21, x, w1);
                }
                if (TRows.Value > 3)
                {
                    x = TWidth.CreateInt32(*(int*)(a3 + s));
                    i30 = TWidth.DotBytes(i30, x, w0);
                    i31 = TWidth.DotBytes(i31, x, w1);
                }
            }
            AddBlocks<TWidth, TVector, TInt, TRows>(i00, i01, i10, i11, i20, i21, i30, i31, weightScales, scales + b, scaleStride, accumulators);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void TilePairs<TWidth, TVector, TInt, TRows>(short* a, nint aStride, float* scales, nint scaleStride, byte* panel, int blocks, Int8Layout layout,
        float* accumulators, bool continueTotals)
        where TWidth : struct, IVectorWidth<TVector>, IInt8Width<TInt, TVector>
        where TVector : struct
        where TInt : struct
        where TRows : struct, IRowCount
    {
        var n = TWidth.Count;
        if (!continueTotals)
        {
            ClearTotals<TWidth, TVector, TRows>(accumulators);
        }
        var step = 4 * n;
        var blockBytes = layout.PanelBlockBytes(2 * n);
        var weightScalesOffset = layout.WeightScalesOffset(2 * n);
        var block = layout.BlockSize;
        for (var b = 0; b < blocks; b++, panel += blockBytes, a += block)
        {
            var zero = TWidth.CreateInt32(0);
            TInt i00 = zero, i01 = zero, i10 = zero, i11 = zero, i20 = zero, i21 = zero, i30 = zero, i31 = zero;
            var weights = (sbyte*)panel;
            var a1 = a + aStride;
            var a2 = a + 2 * aStride;
            var a3 = a + 3 * aStride;
            for (nint s = 0; s < block; s += 2, weights += step)
            {
                var w0 = TWidth.LoadPairs(weights);
                var w1 = TWidth.LoadPairs(weights + 2 * n);
                var x = TWidth.CreateInt32(*(int*)(a + s));
                i00 = TWidth.DotPairs(i00, x, w0);
                i01 = TWidth.DotPairs(i01, x, w1);
                if (TRows.Value > 1)
                {
                    x = TWidth.CreateInt32(*(int*)(a1 + s));
                    i10 = TWidth.DotPairs(i10, x, w0);
                    i11 = TWidth.DotPairs(i11, x, w1);
                }
                if (TRows.Value > 2)
                {
                    x = TWidth.CreateInt32(*(int*)(a2 + s));
                    i20 = TWidth.DotPairs(i20, x, w0);
                    i21 = TWidth.DotPairs(i21, x, w1);
                }
                if (TRows.Value > 3)
                {
                    x = TWidth.CreateInt32(*(int*)(a3 + s));
                    i30 = TWidth.DotPairs(i30, x, w0);
                    i31 = TWidth.DotPairs(i31, x, w1);
                }
            }
            AddBlocks<TWidth, TVector, TInt, TRows>(i00, i01, i10, i11, i20, i21, i30, i31, (float*)(panel + weightScalesOffset), scales + b, scaleStride, accumulators);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ClearTotals<TWidth, TVector, TRows>(float* totals)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
        where TRows : struct, IRowCount
    {
        for (var i = 0; i < 2 * TRows.Value; i++)
        {
            TWidth.Store(TWidth.Zero, totals + i * TWidth.Count);
        }
    }

    /// <summary>Adds each row's block sums to its fp32 totals: total += (sum · weight scale) · activation scale.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddBlocks<TWidth, TVector, TInt, TRows>(TInt i00, TInt i01, TInt i10, TInt i11, TInt i20, TInt i21, TInt i30, TInt i31,
        float* weightScales, float* scales, nint scaleStride, float* totals)
        where TWidth : struct, IVectorWidth<TVector>, IInt8Width<TInt, TVector>
        where TVector : struct
        where TInt : struct
        where TRows : struct, IRowCount
    {
        var n = TWidth.Count;
        var s0 = TWidth.Load(weightScales);
        var s1 = TWidth.Load(weightScales + n);
        AddBlock<TWidth, TVector, TInt>(i00, i01, s0, s1, scales[0], totals);
        if (TRows.Value > 1)
        {
            AddBlock<TWidth, TVector, TInt>(i10, i11, s0, s1, scales[scaleStride], totals + 2 * n);
        }
        if (TRows.Value > 2)
        {
            AddBlock<TWidth, TVector, TInt>(i20, i21, s0, s1, scales[2 * scaleStride], totals + 4 * n);
        }
        if (TRows.Value > 3)
        {
            AddBlock<TWidth, TVector, TInt>(i30, i31, s0, s1, scales[3 * scaleStride], totals + 6 * n);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddBlock<TWidth, TVector, TInt>(TInt low, TInt high, TVector s0, TVector s1, float activationScale, float* totals)
        where TWidth : struct, IVectorWidth<TVector>, IInt8Width<TInt, TVector>
        where TVector : struct
        where TInt : struct
    {
        var n = TWidth.Count;
        var scale = TWidth.Create(activationScale);
        TWidth.Store(TWidth.FusedMultiplyAdd(TWidth.Multiply(TWidth.ConvertToSingle(low), s0), scale, TWidth.Load(totals)), totals);
        TWidth.Store(TWidth.FusedMultiplyAdd(TWidth.Multiply(TWidth.ConvertToSingle(high), s1), scale, TWidth.Load(totals + n)), totals + n);
    }
}
