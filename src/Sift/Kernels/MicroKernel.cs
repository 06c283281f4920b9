using System.Runtime.CompilerServices;
using Sift.Kernels.Vectors;

namespace Sift.Kernels;

/// <summary>
/// The register-tiled inner kernel shared by <see cref="Gemm"/> and <see cref="Attention"/>: up to
/// TWidth.TileRows rows of A times a strip of B two vectors wide, over k steps. Step i broadcasts
/// A[r, i] for each row and loads B[i, ·] as two vectors; each output element is one FMA chain
/// over i = 0..k−1 from zero, the same chain whatever the caller, strides or row count.
/// </summary>
internal static unsafe partial class MicroKernel
{
    /// <summary>The most rows any width's tile has.</summary>
    public const int MaxRows = 8;

    /// <summary>
    /// Computes <paramref name="rows"/> × (2 · TWidth.Count) dot products into
    /// <paramref name="accumulators"/> (row r at r × 2 · TWidth.Count). A[r, i] is at
    /// a + r·aRow + i·aK; B[i, ·] starts at b + i·bStep bytes, in TElement's format.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run<TWidth, TVector, TElement>(int rows, float* a, nint aRow, nint aK, byte* b, nint bStep, int k, float* accumulators)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
        where TElement : struct, IPanelElement
    {
        switch (rows)
        {
            case 8: Tile<TWidth, TVector, TElement, Rows8>(a, aRow, aK, b, bStep, k, accumulators); break;
            case 7: Tile<TWidth, TVector, TElement, Rows7>(a, aRow, aK, b, bStep, k, accumulators); break;
            case 6: Tile<TWidth, TVector, TElement, Rows6>(a, aRow, aK, b, bStep, k, accumulators); break;
            case 5: Tile<TWidth, TVector, TElement, Rows5>(a, aRow, aK, b, bStep, k, accumulators); break;
            case 4: Tile<TWidth, TVector, TElement, Rows4>(a, aRow, aK, b, bStep, k, accumulators); break;
            case 3: Tile<TWidth, TVector, TElement, Rows3>(a, aRow, aK, b, bStep, k, accumulators); break;
            case 2: Tile<TWidth, TVector, TElement, Rows2>(a, aRow, aK, b, bStep, k, accumulators); break;
            case 1: Tile<TWidth, TVector, TElement, Rows1>(a, aRow, aK, b, bStep, k, accumulators); break;
            default: throw new ArgumentOutOfRangeException(nameof(rows), rows, $"a tile has 1..{TWidth.TileRows} rows");
        }
    }

    /// <remarks>
    /// The accumulators go to <paramref name="accumulators"/> and the output step runs in the caller:
    /// a call or a stackalloc in this method would make the JIT spill the accumulators to the
    /// stack on every iteration (measured: 2.2× slower).
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TWidth, TVector, TElement, TRows>(float* a, nint aRow, nint aK, byte* b, nint bStep, int k, float* accumulators)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
        where TElement : struct, IPanelElement
        where TRows : struct, IRowCount
    {
        TVector c00 = TWidth.Zero, c01 = TWidth.Zero, c10 = TWidth.Zero, c11 = TWidth.Zero, c20 = TWidth.Zero, c21 = TWidth.Zero, c30 = TWidth.Zero, c31 = TWidth.Zero;
        TVector c40 = TWidth.Zero, c41 = TWidth.Zero, c50 = TWidth.Zero, c51 = TWidth.Zero, c60 = TWidth.Zero, c61 = TWidth.Zero, c70 = TWidth.Zero, c71 = TWidth.Zero;
        var half = TWidth.Count * TElement.Bytes;
        var ai = a;
        for (var i = 0; i < k; i++, b += bStep, ai += aK)
        {
            var b0 = TElement.Load<TWidth, TVector>(b);
            var b1 = TElement.Load<TWidth, TVector>(b + half);
            var x = TWidth.Create(ai[0]);
            c00 = TWidth.FusedMultiplyAdd(x, b0, c00);
            c01 = TWidth.FusedMultiplyAdd(x, b1, c01);
            if (TRows.Value > 1)
            {
                x = TWidth.Create(ai[aRow]);
                c10 = TWidth.FusedMultiplyAdd(x, b0, c10);
                c11 = TWidth.FusedMultiplyAdd(x, b1, c11);
            }
            if (TRows.Value > 2)
            {
                x = TWidth.Create(ai[2 * aRow]);
                c20 = TWidth.FusedMultiplyAdd(x, b0, c20);
                c21 = TWidth.FusedMultiplyAdd(x, b1, c21);
            }
            if (TRows.Value > 3)
            {
                x = TWidth.Create(ai[3 * aRow]);
                c30 = TWidth.FusedMultiplyAdd(x, b0, c30);
                c31 = TWidth.FusedMultiplyAdd(x, b1, c31);
            }
            if (TRows.Value > 4)
            {
                x = TWidth.Create(ai[4 * aRow]);
                c40 = TWidth.FusedMultiplyAdd(x, b0, c40);
                c41 = TWidth.FusedMultiplyAdd(x, b1, c41);
            }
            if (TRows.Value > 5)
            {
                x = TWidth.Create(ai[5 * aRow]);
                c50 = TWidth.FusedMultiplyAdd(x, b0, c50);
                c51 = TWidth.FusedMultiplyAdd(x, b1, c51);
            }
            if (TRows.Value > 6)
            {
                x = TWidth.Create(ai[6 * aRow]);
                c60 = TWidth.FusedMultiplyAdd(x, b0, c60);
                c61 = TWidth.FusedMultiplyAdd(x, b1, c61);
            }
            if (TRows.Value > 7)
            {
                x = TWidth.Create(ai[7 * aRow]);
                c70 = TWidth.FusedMultiplyAdd(x, b0, c70);
                c71 = TWidth.FusedMultiplyAdd(x, b1, c71);
            }
        }
        var n = TWidth.Count;
        TWidth.Store(c00, accumulators); TWidth.Store(c01, accumulators + n);
        if (TRows.Value > 1) { TWidth.Store(c10, accumulators + 2 * n); TWidth.Store(c11, accumulators + 3 * n); }
        if (TRows.Value > 2) { TWidth.Store(c20, accumulators + 4 * n); TWidth.Store(c21, accumulators + 5 * n); }
        if (TRows.Value > 3) { TWidth.Store(c30, accumulators + 6 * n); TWidth.Store(c31, accumulators + 7 * n); }
        if (TRows.Value > 4) { TWidth.Store(c40, accumulators + 8 * n); TWidth.Store(c41, accumulators + 9 * n); }
        if (TRows.Value > 5) { TWidth.Store(c50, accumulators + 10 * n); TWidth.Store(c51, accumulators + 11 * n); }
        if (TRows.Value > 6) { TWidth.Store(c60, accumulators + 12 * n); TWidth.Store(c61, accumulators + 13 * n); }
        if (TRows.Value > 7) { TWidth.Store(c70, accumulators + 14 * n); TWidth.Store(c71, accumulators + 15 * n); }
    }
}
