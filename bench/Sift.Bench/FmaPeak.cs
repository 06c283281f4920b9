using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Sift.Kernels;

namespace Sift.Bench;

/// <summary>
/// The machine's fp32 FMA ceiling, measured the way the GEMM would reach it: Vector512 FMAs on
/// 16 independent register accumulators (enough to cover latency × throughput), on every thread.
/// </summary>
internal static class FmaPeak
{
    private const int Iterations = 20_000_000;
    private const int Accumulators = 16;
    private const double FlopsPerIteration = Accumulators * 16 * 2;

    public static double MeasureGflops(WorkerPool pool) => Measure<Body>(pool);

    /// <summary>
    /// The int16 multiply-add ceiling (vpmaddwd + vpaddd, what the int8 GEMM issues), as GOPS:
    /// each pair does 32 multiply-adds. AVX-512 VNNI's fused vpdpwssd is not exposed by .NET 10.
    /// </summary>
    public static double MeasureInt16Gops(WorkerPool pool) => Measure<Int16Body>(pool);

    /// <summary>
    /// The ceiling of the next int8 lever: 8-bit activations through vpmaddubsw (64 multiply-adds
    /// into int16 pairs), vpmaddwd by ones, vpaddd. In the FMA loop's units (32 per step): × 4 is GOPS.
    /// </summary>
    public static double MeasureUint8Gops(WorkerPool pool) => Measure<Uint8Body>(pool);

    private static double Measure<TBody>(WorkerPool pool) where TBody : struct, IParallelBody
    {
        var body = new TBody();
        pool.For(pool.ThreadCount, ref body);
        var best = 0.0;
        for (var round = 0; round < 3; round++)
        {
            var clock = Stopwatch.StartNew();
            pool.For(pool.ThreadCount, ref body);
            best = Math.Max(best, pool.ThreadCount * Iterations * FlopsPerIteration / clock.Elapsed.TotalSeconds / 1e9);
        }
        return best;
    }

    private struct Body : IParallelBody
    {
        public void Execute(int index, int worker) => Sink = Spin();
    }

    private struct Int16Body : IParallelBody
    {
        public void Execute(int index, int worker) => Sink = SpinInt16();
    }

    private struct Uint8Body : IParallelBody
    {
        public void Execute(int index, int worker) => Sink = SpinUint8();
    }

    private static float Sink;

    /// <summary>vpmaddubsw (unsigned 8-bit × signed 8-bit, pairs summed to int16), widened to int32 by vpmaddwd with ones, added.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> MaddUint8(Vector512<int> accumulator, Vector512<sbyte> y, Vector512<short> ones) =>
        accumulator + System.Runtime.Intrinsics.X86.Avx512BW.MultiplyAddAdjacent(
            System.Runtime.Intrinsics.X86.Avx512BW.MultiplyAddAdjacent(accumulator.AsByte(), y), ones);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float SpinUint8()
    {
        if (!System.Runtime.Intrinsics.X86.Avx512BW.IsSupported)
        {
            return 0;
        }
        var y = Vector512.Create((sbyte)1);
        var ones = Vector512.Create((short)1);
        Vector512<int> a0 = Vector512.Create(1), a1 = Vector512.Create(2), a2 = Vector512.Create(3), a3 = Vector512.Create(4);
        Vector512<int> a4 = Vector512.Create(5), a5 = Vector512.Create(6), a6 = Vector512.Create(7), a7 = Vector512.Create(8);
        Vector512<int> b0 = a0, b1 = a1, b2 = a2, b3 = a3, b4 = a4, b5 = a5, b6 = a6, b7 = a7;
        for (var i = 0; i < Iterations; i++)
        {
            a0 = MaddUint8(a0, y, ones); a1 = MaddUint8(a1, y, ones); a2 = MaddUint8(a2, y, ones); a3 = MaddUint8(a3, y, ones);
            a4 = MaddUint8(a4, y, ones); a5 = MaddUint8(a5, y, ones); a6 = MaddUint8(a6, y, ones); a7 = MaddUint8(a7, y, ones);
            b0 = MaddUint8(b0, y, ones); b1 = MaddUint8(b1, y, ones); b2 = MaddUint8(b2, y, ones); b3 = MaddUint8(b3, y, ones);
            b4 = MaddUint8(b4, y, ones); b5 = MaddUint8(b5, y, ones); b6 = MaddUint8(b6, y, ones); b7 = MaddUint8(b7, y, ones);
        }
        a0 += b0; a1 += b1; a2 += b2; a3 += b3; a4 += b4; a5 += b5; a6 += b6; a7 += b7;
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7);
    }

    /// <summary>What one step of the int8 GEMM issues per output vector: a multiply-add of int16 pairs, then an int32 add.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Madd(Vector512<int> accumulator, Vector512<short> y) =>
        accumulator + System.Runtime.Intrinsics.X86.Avx512BW.MultiplyAddAdjacent(accumulator.AsInt16(), y);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float SpinInt16()
    {
        if (!System.Runtime.Intrinsics.X86.Avx512BW.IsSupported)
        {
            return 0;
        }
        // Each chain feeds its result back as the next input, so nothing is loop-invariant.
        var y = Vector512.Create((short)1);
        Vector512<int> a0 = Vector512.Create(1), a1 = Vector512.Create(2), a2 = Vector512.Create(3), a3 = Vector512.Create(4);
        Vector512<int> a4 = Vector512.Create(5), a5 = Vector512.Create(6), a6 = Vector512.Create(7), a7 = Vector512.Create(8);
        Vector512<int> b0 = a0, b1 = a1, b2 = a2, b3 = a3, b4 = a4, b5 = a5, b6 = a6, b7 = a7;
        for (var i = 0; i < Iterations; i++)
        {
            a0 = Madd(a0, y); a1 = Madd(a1, y); a2 = Madd(a2, y); a3 = Madd(a3, y);
            a4 = Madd(a4, y); a5 = Madd(a5, y); a6 = Madd(a6, y); a7 = Madd(a7, y);
            b0 = Madd(b0, y); b1 = Madd(b1, y); b2 = Madd(b2, y); b3 = Madd(b3, y);
            b4 = Madd(b4, y); b5 = Madd(b5, y); b6 = Madd(b6, y); b7 = Madd(b7, y);
        }
        a0 += b0; a1 += b1; a2 += b2; a3 += b3; a4 += b4; a5 += b5; a6 += b6; a7 += b7;
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Spin()
    {
        var x = Vector512.Create(0.999f);
        var y = Vector512.Create(1e-7f);
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> a8 = default, a9 = default, a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default;
        for (var i = 0; i < Iterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, x, y); a1 = Vector512.FusedMultiplyAdd(a1, x, y);
            a2 = Vector512.FusedMultiplyAdd(a2, x, y); a3 = Vector512.FusedMultiplyAdd(a3, x, y);
            a4 = Vector512.FusedMultiplyAdd(a4, x, y); a5 = Vector512.FusedMultiplyAdd(a5, x, y);
            a6 = Vector512.FusedMultiplyAdd(a6, x, y); a7 = Vector512.FusedMultiplyAdd(a7, x, y);
            a8 = Vector512.FusedMultiplyAdd(a8, x, y); a9 = Vector512.FusedMultiplyAdd(a9, x, y);
            a10 = Vector512.FusedMultiplyAdd(a10, x, y); a11 = Vector512.FusedMultiplyAdd(a11, x, y);
            a12 = Vector512.FusedMultiplyAdd(a12, x, y); a13 = Vector512.FusedMultiplyAdd(a13, x, y);
            a14 = Vector512.FusedMultiplyAdd(a14, x, y); a15 = Vector512.FusedMultiplyAdd(a15, x, y);
        }
        var sum = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + a12 + a13 + a14 + a15;
        return Vector512.Sum(sum);
    }
}
