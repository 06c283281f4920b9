using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Sift.Kernels;

/// <summary>
/// The register-tiled inner kernel shared by <see cref="Gemm"/> and <see cref="Attention"/>: up to
/// <see cref="Rows"/> rows of A times a 32-column strip of B, over k steps. Step i broadcasts
/// A[r, i] for each row and loads B[i, 0..31] as two vectors; each output element is one FMA chain
/// over i = 0..k−1 from zero, the same chain whatever the caller, strides or row count.
/// </summary>
internal static unsafe partial class MicroKernel
{
    /// <summary>Rows per tile: 8 rows × 2 vectors = 16 accumulators, plus 2 B vectors and a broadcast, of 32 zmm registers.</summary>
    public const int Rows = 8;

    /// <summary>Columns per tile (two 16-float vectors).</summary>
    public const int Columns = 32;

    /// <summary>
    /// Computes <paramref name="rows"/> × 32 dot products into <paramref name="accumulators"/> (row r at r × 32).
    /// A[r, i] is at a + r·aRow + i·aK; B[i, 0..31] starts at b + i·bStep bytes, in TElement's format.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run<TElement>(int rows, float* a, nint aRow, nint aK, byte* b, nint bStep, int k, float* accumulators)
        where TElement : struct, IPanelElement
    {
        switch (rows)
        {
            case 8: Tile<TElement, Rows8>(a, aRow, aK, b, bStep, k, accumulators); break;
            case 7: Tile<TElement, Rows7>(a, aRow, aK, b, bStep, k, accumulators); break;
            case 6: Tile<TElement, Rows6>(a, aRow, aK, b, bStep, k, accumulators); break;
            case 5: Tile<TElement, Rows5>(a, aRow, aK, b, bStep, k, accumulators); break;
            case 4: Tile<TElement, Rows4>(a, aRow, aK, b, bStep, k, accumulators); break;
            case 3: Tile<TElement, Rows3>(a, aRow, aK, b, bStep, k, accumulators); break;
            case 2: Tile<TElement, Rows2>(a, aRow, aK, b, bStep, k, accumulators); break;
            case 1: Tile<TElement, Rows1>(a, aRow, aK, b, bStep, k, accumulators); break;
            default: throw new ArgumentOutOfRangeException(nameof(rows), rows, $"a tile has 1..{Rows} rows");
        }
    }

    /// <remarks>
    /// The accumulators go to <paramref name="accumulators"/> and the output step runs in the caller:
    /// a call or a stackalloc in this method would make the JIT spill the 16 accumulators to the
    /// stack on every iteration (measured: 2.2× slower).
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TElement, TRows>(float* a, nint aRow, nint aK, byte* b, nint bStep, int k, float* accumulators)
        where TElement : struct, IPanelElement
        where TRows : struct, IRowCount
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        var half = 16 * TElement.Bytes;
        var ai = a;
        for (var i = 0; i < k; i++, b += bStep, ai += aK)
        {
            var b0 = TElement.Load16(b);
            var b1 = TElement.Load16(b + half);
            var x = Vector512.Create(ai[0]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            if (TRows.Value > 1)
            {
                x = Vector512.Create(ai[aRow]);
                c10 = Vector512.FusedMultiplyAdd(x, b0, c10);
                c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            }
            if (TRows.Value > 2)
            {
                x = Vector512.Create(ai[2 * aRow]);
                c20 = Vector512.FusedMultiplyAdd(x, b0, c20);
                c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            }
            if (TRows.Value > 3)
            {
                x = Vector512.Create(ai[3 * aRow]);
                c30 = Vector512.FusedMultiplyAdd(x, b0, c30);
                c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            }
            if (TRows.Value > 4)
            {
                x = Vector512.Create(ai[4 * aRow]);
                c40 = Vector512.FusedMultiplyAdd(x, b0, c40);
                c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            }
            if (TRows.Value > 5)
            {
                x = Vector512.Create(ai[5 * aRow]);
                c50 = Vector512.FusedMultiplyAdd(x, b0, c50);
                c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            }
            if (TRows.Value > 6)
            {
                x = Vector512.Create(ai[6 * aRow]);
                c60 = Vector512.FusedMultiplyAdd(x, b0, c60);
                c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            }
            if (TRows.Value > 7)
            {
                x = Vector512.Create(ai[7 * aRow]);
                c70 = Vector512.FusedMultiplyAdd(x, b0, c70);
                c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            }
        }
        c00.Store(accumulators); c01.Store(accumulators + 16);
        if (TRows.Value > 1) { c10.Store(accumulators + 32); c11.Store(accumulators + 48); }
        if (TRows.Value > 2) { c20.Store(accumulators + 64); c21.Store(accumulators + 80); }
        if (TRows.Value > 3) { c30.Store(accumulators + 96); c31.Store(accumulators + 112); }
        if (TRows.Value > 4) { c40.Store(accumulators + 128); c41.Store(accumulators + 144); }
        if (TRows.Value > 5) { c50.Store(accumulators + 160); c51.Store(accumulators + 176); }
        if (TRows.Value > 6) { c60.Store(accumulators + 192); c61.Store(accumulators + 208); }
        if (TRows.Value > 7) { c70.Store(accumulators + 224); c71.Store(accumulators + 240); }
    }
}
