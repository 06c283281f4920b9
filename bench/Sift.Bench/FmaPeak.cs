using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Sift.Kernels;
using Sift.Kernels.Emitted;
using Sift.Kernels.Vectors;

namespace Sift.Bench;

/// <summary>
/// The ceilings of the instruction sequences the kernels issue on this process's
/// <see cref="KernelPath"/>, measured the way the GEMM would reach them: 12 independent register
/// chains (enough to cover latency × throughput) on every thread. fp32: one FMA per step (2 flops
/// per lane). int8: one u8×s8 step of the path (4 multiply-adds, 8 ops, per int32 lane: vpdpbusd,
/// or vpmaddubsw + vpmaddwd + vpaddd, or SDOT) in a 6×2 tile with its loads and broadcasts; int16:
/// vpmaddwd + vpaddd (2 multiply-adds per lane), weights widened once per step.
/// Each figure is the best of many short bursts, so that a shared, loaded machine still yields
/// the machine's own ceiling (noise only ever slows a burst down).
/// </summary>
internal static class FmaPeak
{
    private const int Chains = 12;
    private const int IterationsPerBurst = 50_000;

    /// <summary>fp32 GFLOP/s of the path's FMA on all of <paramref name="pool"/>'s threads.</summary>
    public static double MeasureGflops(WorkerPool pool, TimeSpan budget) => Measure<FmaBody>(pool, budget, 2.0 * Lanes);

    /// <summary>GOPS (2 per multiply-add) of the path's u8×s8 step.</summary>
    public static double MeasureInt8Gops(WorkerPool pool, TimeSpan budget) => EmittedKernels.HasVnniTile
        ? Measure<EmittedBytesBody>(pool, budget, 8.0 * Lanes)
        : Measure<BytesBody>(pool, budget, 8.0 * Lanes);

    /// <summary>GOPS of the path's s16×s8 step (vpmaddwd + vpaddd).</summary>
    public static double MeasureInt16Gops(WorkerPool pool, TimeSpan budget) => Measure<PairsBody>(pool, budget, 4.0 * Lanes);

    private static int Lanes => KernelPath.Current.VectorBits / 32;

    private static double Measure<TBody>(WorkerPool pool, TimeSpan budget, double opsPerLaneStep) where TBody : struct, IParallelBody
    {
        var body = new TBody();
        pool.For(pool.ThreadCount, ref body);
        var best = double.MaxValue;
        var total = Stopwatch.StartNew();
        var cpuTime = pool.ThreadCount == 1 && ThreadClock.IsAvailable;
        while (total.Elapsed < budget)
        {
            var clock = Stopwatch.StartNew();
            var cpu = cpuTime ? ThreadClock.Seconds() : 0;
            pool.For(pool.ThreadCount, ref body);
            best = Math.Min(best, cpuTime ? ThreadClock.Seconds() - cpu : clock.Elapsed.TotalSeconds);
        }
        return pool.ThreadCount * (double)IterationsPerBurst * Chains * opsPerLaneStep / best / 1e9;
    }

    private static float _sink;

    private struct FmaBody : IParallelBody
    {
        public readonly void Execute(int index, int worker) => _sink = Dispatch(0);
    }

    private struct BytesBody : IParallelBody
    {
        public readonly void Execute(int index, int worker) => _sink = Dispatch(1);
    }

    /// <summary>The emitted tile's vpdpbusd zmm (<see cref="VnniPeakLoop"/>).</summary>
    private struct EmittedBytesBody : IParallelBody
    {
        public readonly unsafe void Execute(int index, int worker)
        {
            var data = stackalloc byte[256];
            new Span<byte>(data, 256).Fill(1);
            VnniPeakLoop.Run(data, IterationsPerBurst);
        }
    }

    private struct PairsBody : IParallelBody
    {
        public readonly void Execute(int index, int worker) => _sink = Dispatch(2);
    }

    private static float Dispatch(int kind)
    {
        if (KernelPath.Uses512)
        {
            return kind == 0 ? Fma<Width512, Vector512<float>>() : Dot<Width512, Vector512<float>, Vector512<int>>(kind == 1);
        }
        if (KernelPath.Uses256)
        {
            return kind == 0 ? Fma<Width256, Vector256<float>>() : Dot<Width256, Vector256<float>, Vector256<int>>(kind == 1);
        }
        return kind == 0 ? Fma<Width128, Vector128<float>>() : Dot<Width128, Vector128<float>, Vector128<int>>(kind == 1);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Fma<TWidth, TVector>()
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
    {
        var x = TWidth.Create(0.999f);
        var y = TWidth.Create(1e-7f);
        TVector a0 = TWidth.Zero, a1 = TWidth.Zero, a2 = TWidth.Zero, a3 = TWidth.Zero, a4 = TWidth.Zero, a5 = TWidth.Zero;
        TVector a6 = TWidth.Zero, a7 = TWidth.Zero, a8 = TWidth.Zero, a9 = TWidth.Zero, a10 = TWidth.Zero, a11 = TWidth.Zero;
        for (var i = 0; i < IterationsPerBurst; i++)
        {
            a0 = TWidth.FusedMultiplyAdd(a0, x, y); a1 = TWidth.FusedMultiplyAdd(a1, x, y); a2 = TWidth.FusedMultiplyAdd(a2, x, y);
            a3 = TWidth.FusedMultiplyAdd(a3, x, y); a4 = TWidth.FusedMultiplyAdd(a4, x, y); a5 = TWidth.FusedMultiplyAdd(a5, x, y);
            a6 = TWidth.FusedMultiplyAdd(a6, x, y); a7 = TWidth.FusedMultiplyAdd(a7, x, y); a8 = TWidth.FusedMultiplyAdd(a8, x, y);
            a9 = TWidth.FusedMultiplyAdd(a9, x, y); a10 = TWidth.FusedMultiplyAdd(a10, x, y); a11 = TWidth.FusedMultiplyAdd(a11, x, y);
        }
        var sum = TWidth.Add(TWidth.Add(TWidth.Add(a0, a1), TWidth.Add(a2, a3)), TWidth.Add(TWidth.Add(a4, a5), TWidth.Add(a6, a7)));
        return TWidth.Sum(TWidth.Add(sum, TWidth.Add(TWidth.Add(a8, a9), TWidth.Add(a10, a11))));
    }

    private static float Dot<TWidth, TVector, TInt>(bool bytes)
        where TWidth : struct, IVectorWidth<TVector>, IInt8Width<TInt, TVector>
        where TVector : struct
        where TInt : struct => bytes ? DotBytes<TWidth, TVector, TInt>() : DotPairs<TWidth, TVector, TInt>();

    /// <summary>
    /// A 6-row × 2-vector tile as the int8 GEMM runs it: per step two weight vectors and six
    /// broadcast activations from an L1-resident buffer (so nothing is loop-invariant), twelve
    /// accumulator chains that depend only through the add.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe float DotBytes<TWidth, TVector, TInt>()
        where TWidth : struct, IVectorWidth<TVector>, IInt8Width<TInt, TVector>
        where TVector : struct
        where TInt : struct
    {
        var data = stackalloc byte[4096];
        new Span<byte>(data, 4096).Fill(1);
        var step = 8 * TWidth.Count;
        TInt a0 = TWidth.CreateInt32(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        for (var i = 0; i < IterationsPerBurst; i++)
        {
            var w = data + (i & 7) * step;
            var x = (int*)(data + (i & 15) * 24);
            var w0 = TWidth.LoadBytes(w);
            var w1 = TWidth.LoadBytes(w + step / 2);
            var b = TWidth.CreateInt32(x[0]);
            a0 = TWidth.DotBytes(a0, b, w0); a1 = TWidth.DotBytes(a1, b, w1);
            b = TWidth.CreateInt32(x[1]);
            a2 = TWidth.DotBytes(a2, b, w0); a3 = TWidth.DotBytes(a3, b, w1);
            b = TWidth.CreateInt32(x[2]);
            a4 = TWidth.DotBytes(a4, b, w0); a5 = TWidth.DotBytes(a5, b, w1);
            b = TWidth.CreateInt32(x[3]);
            a6 = TWidth.DotBytes(a6, b, w0); a7 = TWidth.DotBytes(a7, b, w1);
            b = TWidth.CreateInt32(x[4]);
            a8 = TWidth.DotBytes(a8, b, w0); a9 = TWidth.DotBytes(a9, b, w1);
            b = TWidth.CreateInt32(x[5]);
            a10 = TWidth.DotBytes(a10, b, w0); a11 = TWidth.DotBytes(a11, b, w1);
        }
        // Summed inline: a call after the loop would make the JIT keep the accumulators on the stack inside it.
        var s0 = TWidth.Add(TWidth.Add(TWidth.ConvertToSingle(a0), TWidth.ConvertToSingle(a1)), TWidth.Add(TWidth.ConvertToSingle(a2), TWidth.ConvertToSingle(a3)));
        var s1 = TWidth.Add(TWidth.Add(TWidth.ConvertToSingle(a4), TWidth.ConvertToSingle(a5)), TWidth.Add(TWidth.ConvertToSingle(a6), TWidth.ConvertToSingle(a7)));
        var s2 = TWidth.Add(TWidth.Add(TWidth.ConvertToSingle(a8), TWidth.ConvertToSingle(a9)), TWidth.Add(TWidth.ConvertToSingle(a10), TWidth.ConvertToSingle(a11)));
        return TWidth.Sum(TWidth.Add(TWidth.Add(s0, s1), s2));
    }

    /// <summary>As <see cref="DotBytes{TWidth, TVector, TInt}"/> for the s16×s8 step (weights widened once per step, as the GEMM does).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe float DotPairs<TWidth, TVector, TInt>()
        where TWidth : struct, IVectorWidth<TVector>, IInt8Width<TInt, TVector>
        where TVector : struct
        where TInt : struct
    {
        var data = stackalloc byte[4096];
        new Span<byte>(data, 4096).Fill(1);
        var step = 4 * TWidth.Count;
        TInt a0 = TWidth.CreateInt32(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        for (var i = 0; i < IterationsPerBurst; i++)
        {
            var w = (sbyte*)data + (i & 7) * step;
            var x = (int*)(data + (i & 15) * 24);
            var w0 = TWidth.LoadPairs(w);
            var w1 = TWidth.LoadPairs(w + step / 2);
            var b = TWidth.CreateInt32(x[0]);
            a0 = TWidth.DotPairs(a0, b, w0); a1 = TWidth.DotPairs(a1, b, w1);
            b = TWidth.CreateInt32(x[1]);
            a2 = TWidth.DotPairs(a2, b, w0); a3 = TWidth.DotPairs(a3, b, w1);
            b = TWidth.CreateInt32(x[2]);
            a4 = TWidth.DotPairs(a4, b, w0); a5 = TWidth.DotPairs(a5, b, w1);
            b = TWidth.CreateInt32(x[3]);
            a6 = TWidth.DotPairs(a6, b, w0); a7 = TWidth.DotPairs(a7, b, w1);
            b = TWidth.CreateInt32(x[4]);
            a8 = TWidth.DotPairs(a8, b, w0); a9 = TWidth.DotPairs(a9, b, w1);
            b = TWidth.CreateInt32(x[5]);
            a10 = TWidth.DotPairs(a10, b, w0); a11 = TWidth.DotPairs(a11, b, w1);
        }
        // Summed inline: a call after the loop would make the JIT keep the accumulators on the stack inside it.
        var s0 = TWidth.Add(TWidth.Add(TWidth.ConvertToSingle(a0), TWidth.ConvertToSingle(a1)), TWidth.Add(TWidth.ConvertToSingle(a2), TWidth.ConvertToSingle(a3)));
        var s1 = TWidth.Add(TWidth.Add(TWidth.ConvertToSingle(a4), TWidth.ConvertToSingle(a5)), TWidth.Add(TWidth.ConvertToSingle(a6), TWidth.ConvertToSingle(a7)));
        var s2 = TWidth.Add(TWidth.Add(TWidth.ConvertToSingle(a8), TWidth.ConvertToSingle(a9)), TWidth.Add(TWidth.ConvertToSingle(a10), TWidth.ConvertToSingle(a11)));
        return TWidth.Sum(TWidth.Add(TWidth.Add(s0, s1), s2));
    }

}
