using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sift.Kernels;

internal static unsafe partial class MicroKernel
{
    /// <summary>
    /// Rows per int8 tile: 4 rows × 2 vectors need 8 int32 block accumulators and 8 fp32 totals,
    /// plus 2 weight vectors, a broadcast and 2 scale vectors, inside the 32 zmm registers.
    /// </summary>
    public const int Int8Rows = 4;

    /// <summary>
    /// Int8 weights × int16 activations for up to <see cref="Int8Rows"/> rows and one 32-row panel.
    /// Per Q8_0 block the 32 products of each output are summed exactly in int32 (vpmaddwd on
    /// pairs), then added to the fp32 total as (sum · weight scale) · activation scale.
    /// </summary>
    /// <param name="rows">Activation rows in this tile.</param>
    /// <param name="a">Row 0's quantized values; row r starts <paramref name="aStride"/> values later.</param>
    /// <param name="aStride">Values between activation rows.</param>
    /// <param name="scales">Row 0's block scales; row r's start <paramref name="scaleStride"/> later.</param>
    /// <param name="scaleStride">Scales between activation rows.</param>
    /// <param name="panel">The packed int8 panel.</param>
    /// <param name="blocks">Blocks of 32 input features.</param>
    /// <param name="accumulators">Output: row r at r × 32.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RunInt8(int rows, short* a, nint aStride, float* scales, nint scaleStride, byte* panel, int blocks, float* accumulators)
    {
        if (!Avx512BW.IsSupported)
        {
            TileInt8Portable(rows, a, aStride, scales, scaleStride, panel, blocks, accumulators);
            return;
        }
        switch (rows)
        {
            case 4: TileInt8<Rows4>(a, aStride, scales, scaleStride, panel, blocks, accumulators); break;
            case 3: TileInt8<Rows3>(a, aStride, scales, scaleStride, panel, blocks, accumulators); break;
            case 2: TileInt8<Rows2>(a, aStride, scales, scaleStride, panel, blocks, accumulators); break;
            case 1: TileInt8<Rows1>(a, aStride, scales, scaleStride, panel, blocks, accumulators); break;
            default: throw new ArgumentOutOfRangeException(nameof(rows), rows, $"an int8 tile has 1..{Int8Rows} rows");
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void TileInt8<TRows>(short* a, nint aStride, float* scales, nint scaleStride, byte* panel, int blocks, float* accumulators)
        where TRows : struct, IRowCount
    {
        Vector512<float> f00 = default, f01 = default, f10 = default, f11 = default, f20 = default, f21 = default, f30 = default, f31 = default;
        for (var b = 0; b < blocks; b++, panel += PackedMatrix.Int8BlockBytes, a += Q8Blocks.BlockSize)
        {
            Vector512<int> i00 = default, i01 = default, i10 = default, i11 = default, i20 = default, i21 = default, i30 = default, i31 = default;
            var weights = panel;
            var pair = (int*)a;
            for (var p = 0; p < Q8Blocks.BlockSize / 2; p++, weights += 64, pair++)
            {
                var w0 = Avx512BW.ConvertToVector512Int16(Vector256.Load((sbyte*)weights));
                var w1 = Avx512BW.ConvertToVector512Int16(Vector256.Load((sbyte*)weights + 32));
                var x = Vector512.Create(pair[0]).AsInt16();
                i00 += Avx512BW.MultiplyAddAdjacent(x, w0);
                i01 += Avx512BW.MultiplyAddAdjacent(x, w1);
                if (TRows.Value > 1)
                {
                    x = Vector512.Create(*(int*)((short*)pair + aStride)).AsInt16();
                    i10 += Avx512BW.MultiplyAddAdjacent(x, w0);
                    i11 += Avx512BW.MultiplyAddAdjacent(x, w1);
                }
                if (TRows.Value > 2)
                {
                    x = Vector512.Create(*(int*)((short*)pair + 2 * aStride)).AsInt16();
                    i20 += Avx512BW.MultiplyAddAdjacent(x, w0);
                    i21 += Avx512BW.MultiplyAddAdjacent(x, w1);
                }
                if (TRows.Value > 3)
                {
                    x = Vector512.Create(*(int*)((short*)pair + 3 * aStride)).AsInt16();
                    i30 += Avx512BW.MultiplyAddAdjacent(x, w0);
                    i31 += Avx512BW.MultiplyAddAdjacent(x, w1);
                }
            }
            var weightScales = (float*)weights;
            var s0 = Vector512.Load(weightScales);
            var s1 = Vector512.Load(weightScales + 16);
            f00 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(i00) * s0, Vector512.Create(scales[b]), f00);
            f01 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(i01) * s1, Vector512.Create(scales[b]), f01);
            if (TRows.Value > 1)
            {
                var sa = Vector512.Create(scales[scaleStride + b]);
                f10 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(i10) * s0, sa, f10);
                f11 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(i11) * s1, sa, f11);
            }
            if (TRows.Value > 2)
            {
                var sa = Vector512.Create(scales[2 * scaleStride + b]);
                f20 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(i20) * s0, sa, f20);
                f21 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(i21) * s1, sa, f21);
            }
            if (TRows.Value > 3)
            {
                var sa = Vector512.Create(scales[3 * scaleStride + b]);
                f30 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(i30) * s0, sa, f30);
                f31 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(i31) * s1, sa, f31);
            }
        }
        f00.Store(accumulators); f01.Store(accumulators + 16);
        if (TRows.Value > 1) { f10.Store(accumulators + 32); f11.Store(accumulators + 48); }
        if (TRows.Value > 2) { f20.Store(accumulators + 64); f21.Store(accumulators + 80); }
        if (TRows.Value > 3) { f30.Store(accumulators + 96); f31.Store(accumulators + 112); }
    }

    /// <summary>The same arithmetic, element by element, for CPUs without AVX-512 BW.</summary>
    private static void TileInt8Portable(int rows, short* a, nint aStride, float* scales, nint scaleStride, byte* panel, int blocks, float* accumulators)
    {
        new Span<float>(accumulators, rows * Columns).Clear();
        for (var b = 0; b < blocks; b++)
        {
            var block = panel + (long)b * PackedMatrix.Int8BlockBytes;
            var weightScales = (float*)(block + Q8Blocks.BlockSize / 2 * 64);
            for (var r = 0; r < rows; r++)
            {
                var values = a + r * aStride + b * Q8Blocks.BlockSize;
                for (var column = 0; column < Columns; column++)
                {
                    var sum = 0;
                    for (var p = 0; p < Q8Blocks.BlockSize / 2; p++)
                    {
                        var weights = (sbyte*)(block + p * 64 + column / 16 * 32 + column % 16 * 2);
                        sum += values[2 * p] * weights[0] + values[2 * p + 1] * weights[1];
                    }
                    ref var total = ref accumulators[r * Columns + column];
                    total = MathF.FusedMultiplyAdd(sum * weightScales[column], scales[r * scaleStride + b], total);
                }
            }
        }
    }
}
