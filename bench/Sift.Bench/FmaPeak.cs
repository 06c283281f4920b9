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
/// vpmaddwd + vpaddd (2 multiply-adds per lane), weights widened once per step. For int8 a second
/// ceiling, of the whole sequence the int8 tile issues: the same steps with the block's fp32 step
/// after every 32 of them (a block of 128 inputs, what the GEMM runs on every Qwen3 size's rows:
/// <see cref="Int8Layout"/>; per chain: convert the int32 sums, multiply by the weight scales,
/// FMA with the broadcast activation scale into an fp32 total), counted by the same useful
/// multiply-adds, so the fp32 step's share of the pipes shows as a lower ceiling.
/// Each figure is the best of many short bursts, so that a shared, loaded machine still yields
/// the machine's own ceiling (noise only ever slows a burst down).
/// </summary>
internal static class FmaPeak
{
    private const int Chains = 12;
    /// <summary>Steps per burst: a whole number of blocks (32 steps of u8×s8, 16 of s16×s8).</summary>
    private const int IterationsPerBurst = 51_200;

    /// <summary>u8×s8 steps per block of 128 inputs (4 per int32 lane and step).</summary>
    private const int BytesStepsPerBlock = Int8Layout.WideBlockSize / 4;

    /// <summary>fp32 GFLOP/s of the path's FMA on all of <paramref name="pool"/>'s threads.</summary>
    public static double MeasureGflops(WorkerPool pool, TimeSpan budget) => Measure<FmaBody>(pool, budget, 2.0 * Lanes);

    /// <summary>GOPS (2 per multiply-add) of the path's u8×s8 step.</summary>
    public static double MeasureInt8Gops(WorkerPool pool, TimeSpan budget) => EmittedKernels.HasVnniTile
        ? Measure<EmittedBytesBody>(pool, budget, 8.0 * Lanes)
        : Measure<BytesBody>(pool, budget, 8.0 * Lanes);

    /// <summary>GOPS (the u8×s8 multiply-adds only) of the path's u8×s8 steps with the block's fp32 step after every <see cref="BytesStepsPerBlock"/>.</summary>
    public static double MeasureInt8BlockGops(WorkerPool pool, TimeSpan budget) => EmittedKernels.HasVnniTile
        ? Measure<EmittedBlocksBody>(pool, budget, 8.0 * Lanes)
        : Measure<BlocksBody>(pool, budget, 8.0 * Lanes);

    /// <summary>GOPS of the path's s16×s8 step (vpmaddwd + vpaddd).</summary>
    public static double MeasureInt16Gops(WorkerPool pool, TimeSpan budget) => Measure<PairsBody>(pool, budget, 4.0 * Lanes);

    /// <summary>GOPS (the s16×s8 multiply-adds only) of the path's s16×s8 steps with the Q8_0 block's fp32 step after every sixteen (32 inputs, 2 per lane and step).</summary>
    public static double MeasureInt16BlockGops(WorkerPool pool, TimeSpan budget) => Measure<PairBlocksBody>(pool, budget, 4.0 * Lanes);

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

    private struct BlocksBody : IParallelBody
    {
        public readonly void Execute(int index, int worker) => _sink = Dispatch(3);
    }

    private struct PairBlocksBody : IParallelBody
    {
        public readonly void Execute(int index, int worker) => _sink = Dispatch(4);
    }

    /// <summary>The emitted tile's vpdpbusd zmm (<see cref="VnniPeakLoop"/>).</summary>
    private struct EmittedBytesBody : IParallelBody
    {
        public readonly unsafe void Execute(int index, int worker)
        {
            var data = stackalloc byte[VnniPeakLoop.DataBytes];
            FillPeakData(data);
            VnniPeakLoop.RunSteps(data, IterationsPerBurst);
        }
    }

    /// <summary>The emitted tile's vpdpbusd zmm steps with the block's fp32 step (<see cref="VnniPeakLoop"/>).</summary>
    private struct EmittedBlocksBody : IParallelBody
    {
        public readonly unsafe void Execute(int index, int worker)
        {
            var data = stackalloc byte[VnniPeakLoop.DataBytes];
            FillPeakData(data);
            VnniPeakLoop.RunBlocks(data, IterationsPerBurst / VnniPeakLoop.StepsPerBlock);
        }
    }

    /// <summary>Bytes of 1 for the integer steps; scales of 0.5 (normal floats, so no denormal slows the fp32 step).</summary>
    private static unsafe void FillPeakData(byte* data)
    {
        new Span<byte>(data, VnniPeakLoop.ScalesOffset).Fill(1);
        new Span<float>(data + VnniPeakLoop.ScalesOffset, (VnniPeakLoop.DataBytes - VnniPeakLoop.ScalesOffset) / sizeof(float)).Fill(0.5f);
    }

    private struct PairsBody : IParallelBody
    {
        public readonly void Execute(int index, int worker) => _sink = Dispatch(2);
    }

    private static float Dispatch(int kind)
    {
        if (KernelPath.Uses512)
        {
            return kind == 0 ? Fma<Width512, Vector512<float>>() : Dot<Width512, Vector512<float>, Vector512<int>>(kind);
        }
        if (KernelPath.Uses256)
        {
            return kind == 0 ? Fma<Width256, Vector256<float>>() : Dot<Width256, Vector256<float>, Vector256<int>>(kind);
        }
        return kind == 0 ? Fma<Width128, Vector128<float>>() : Dot<Width128, Vector128<float>, Vector128<int>>(kind);
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

    private static float Dot<TWidth, TVector, TInt>(int kind)
        where TWidth : struct, IVectorWidth<TVector>, IInt8Width<TInt, TVector>
        where TVector : struct
        where TInt : struct => kind switch
        {
            1 => DotBytes<TWidth, TVector, TInt, StepsOnly>(),
            3 => DotBytes<TWidth, TVector, TInt, WithBlockStep>(),
            4 => DotPairs<TWidth, TVector, TInt, WithBlockStep>(),
            _ => DotPairs<TWidth, TVector, TInt, StepsOnly>(),
        };

    /// <summary>Whether the peak loop adds the block's fp32 step after each block's steps (a constant per instantiation, so the JIT drops the other branch).</summary>
    private interface IBlockStep
    {
        static abstract bool Enabled { get; }
    }

    private struct StepsOnly : IBlockStep
    {
        public static bool Enabled => false;
    }

    private struct WithBlockStep : IBlockStep
    {
        public static bool Enabled => true;
    }

    /// <summary>
    /// A 6-row × 2-vector tile as the int8 GEMM runs it: per step two weight vectors and six
    /// broadcast activations from an L1-resident buffer (so nothing is loop-invariant), twelve
    /// accumulator chains that depend only through the add. With <typeparamref name="TBlock"/>, after
    /// every <see cref="BytesStepsPerBlock"/> steps each chain goes through the managed tile's block step (convert, multiply by
    /// the weight scales, FMA with the activation scale into its L1-resident fp32 total).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe float DotBytes<TWidth, TVector, TInt, TBlock>()
        where TWidth : struct, IVectorWidth<TVector>, IInt8Width<TInt, TVector>
        where TVector : struct
        where TInt : struct
        where TBlock : struct, IBlockStep
    {
        var data = stackalloc byte[4096];
        new Span<byte>(data, 4096).Fill(1);
        var n = TWidth.Count;
        var weightScales = stackalloc float[2 * n];
        new Span<float>(weightScales, 2 * n).Fill(0.5f);
        var totals = stackalloc float[12 * n];
        new Span<float>(totals, 12 * n).Clear();
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
            if (TBlock.Enabled && i % BytesStepsPerBlock == BytesStepsPerBlock - 1)
            {
                AddBlocks<TWidth, TVector, TInt>(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, weightScales, totals);
            }
        }
        // Summed inline: a call after the loop would make the JIT keep the accumulators on the stack inside it.
        var s0 = TWidth.Add(TWidth.Add(TWidth.ConvertToSingle(a0), TWidth.ConvertToSingle(a1)), TWidth.Add(TWidth.ConvertToSingle(a2), TWidth.ConvertToSingle(a3)));
        var s1 = TWidth.Add(TWidth.Add(TWidth.ConvertToSingle(a4), TWidth.ConvertToSingle(a5)), TWidth.Add(TWidth.ConvertToSingle(a6), TWidth.ConvertToSingle(a7)));
        var s2 = TWidth.Add(TWidth.Add(TWidth.ConvertToSingle(a8), TWidth.ConvertToSingle(a9)), TWidth.Add(TWidth.ConvertToSingle(a10), TWidth.ConvertToSingle(a11)));
        return TWidth.Sum(TWidth.Add(TWidth.Add(TWidth.Add(s0, s1), s2), TBlock.Enabled ? TWidth.Load(totals) : TWidth.Zero));
    }

    /// <summary>The block step on the twelve chains (six rows × two vectors), as the managed tile's AddBlocks does it per row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AddBlocks<TWidth, TVector, TInt>(TInt a0, TInt a1, TInt a2, TInt a3, TInt a4, TInt a5, TInt a6, TInt a7, TInt a8, TInt a9, TInt a10, TInt a11,
        float* weightScales, float* totals)
        where TWidth : struct, IVectorWidth<TVector>, IInt8Width<TInt, TVector>
        where TVector : struct
        where TInt : struct
    {
        var n = TWidth.Count;
        var s0 = TWidth.Load(weightScales);
        var s1 = TWidth.Load(weightScales + n);
        AddBlock<TWidth, TVector, TInt>(a0, s0, 0.5f, totals); AddBlock<TWidth, TVector, TInt>(a1, s1, 0.5f, totals + n);
        AddBlock<TWidth, TVector, TInt>(a2, s0, 0.25f, totals + 2 * n); AddBlock<TWidth, TVector, TInt>(a3, s1, 0.25f, totals + 3 * n);
        AddBlock<TWidth, TVector, TInt>(a4, s0, 0.5f, totals + 4 * n); AddBlock<TWidth, TVector, TInt>(a5, s1, 0.5f, totals + 5 * n);
        AddBlock<TWidth, TVector, TInt>(a6, s0, 0.25f, totals + 6 * n); AddBlock<TWidth, TVector, TInt>(a7, s1, 0.25f, totals + 7 * n);
        AddBlock<TWidth, TVector, TInt>(a8, s0, 0.5f, totals + 8 * n); AddBlock<TWidth, TVector, TInt>(a9, s1, 0.5f, totals + 9 * n);
        AddBlock<TWidth, TVector, TInt>(a10, s0, 0.25f, totals + 10 * n); AddBlock<TWidth, TVector, TInt>(a11, s1, 0.25f, totals + 11 * n);
    }

    /// <summary>The managed tile's block step for one vector of int32 sums: total += (float(sum) · weight scales) · activation scale.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AddBlock<TWidth, TVector, TInt>(TInt sums, TVector weightScales, float activationScale, float* total)
        where TWidth : struct, IVectorWidth<TVector>, IInt8Width<TInt, TVector>
        where TVector : struct
        where TInt : struct =>
        TWidth.Store(TWidth.FusedMultiplyAdd(TWidth.Multiply(TWidth.ConvertToSingle(sums), weightScales), TWidth.Create(activationScale), TWidth.Load(total)), total);

    /// <summary>As <see cref="DotBytes{TWidth, TVector, TInt, TBlock}"/> for the s16×s8 step (weights widened once per step, as the GEMM does; a block is 16 steps).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe float DotPairs<TWidth, TVector, TInt, TBlock>()
        where TWidth : struct, IVectorWidth<TVector>, IInt8Width<TInt, TVector>
        where TVector : struct
        where TInt : struct
        where TBlock : struct, IBlockStep
    {
        var data = stackalloc byte[4096];
        new Span<byte>(data, 4096).Fill(1);
        var n = TWidth.Count;
        var weightScales = stackalloc float[2 * n];
        new Span<float>(weightScales, 2 * n).Fill(0.5f);
        var totals = stackalloc float[12 * n];
        new Span<float>(totals, 12 * n).Clear();
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
            if (TBlock.Enabled && (i & 15) == 15)
            {
                AddBlocks<TWidth, TVector, TInt>(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, weightScales, totals);
            }
        }
        // Summed inline: a call after the loop would make the JIT keep the accumulators on the stack inside it.
        var s0 = TWidth.Add(TWidth.Add(TWidth.ConvertToSingle(a0), TWidth.ConvertToSingle(a1)), TWidth.Add(TWidth.ConvertToSingle(a2), TWidth.ConvertToSingle(a3)));
        var s1 = TWidth.Add(TWidth.Add(TWidth.ConvertToSingle(a4), TWidth.ConvertToSingle(a5)), TWidth.Add(TWidth.ConvertToSingle(a6), TWidth.ConvertToSingle(a7)));
        var s2 = TWidth.Add(TWidth.Add(TWidth.ConvertToSingle(a8), TWidth.ConvertToSingle(a9)), TWidth.Add(TWidth.ConvertToSingle(a10), TWidth.ConvertToSingle(a11)));
        return TWidth.Sum(TWidth.Add(TWidth.Add(TWidth.Add(s0, s1), s2), TBlock.Enabled ? TWidth.Load(totals) : TWidth.Zero));
    }

}
