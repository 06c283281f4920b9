using Sift.Kernels.Emitted;

namespace Sift.Bench;

/// <summary>
/// The ceilings of the emitted int8 tile's instruction sequence, measured as <see cref="FmaPeak"/>
/// measures the managed sequences, with twelve independent accumulator chains (enough to cover
/// vpdpbusd's latency × throughput) fed from an L1-resident buffer: per step two weight vectors and
/// six broadcast activations. Two loops: the u8×s8 step alone (vpdpbusd zmm), and the same steps
/// with the block's fp32 step after every 32 of them (a block of 128 inputs, what the GEMM runs on
/// every Qwen3 size's rows: <see cref="Sift.Kernels.Int8Layout"/>), as the tile issues it (per chain
/// vcvtdq2ps, vmulps by the weight scales, vfmadd231ps with the broadcast activation scale into a
/// total): the ceiling of the whole sequence the kernel runs. Emitted with the same assembler and
/// executable memory as the kernel (only where the kernel itself is emitted).
/// </summary>
internal static unsafe class VnniPeakLoop
{
    /// <summary>Bytes the loops read: weights at 0 and 64, activations from 128, fp32 scales from <see cref="ScalesOffset"/>.</summary>
    public const int DataBytes = 512;

    /// <summary>Where the weight scales (two vectors) and the activation scales (one float per row) start.</summary>
    public const int ScalesOffset = 256;

    /// <summary>u8×s8 steps per block (128 inputs, 4 per vpdpbusd lane).</summary>
    public const int StepsPerBlock = Sift.Kernels.Int8Layout.WideBlockSize / 4;

    private const int Rax = 0, Rcx = 1, Rdx = 2, Rsi = 6, Rdi = 7;
    private const int Rows = 6;
    private const int FirstChain = 20, Weights0 = 16, Weights1 = 17, Broadcast = 18, Product = 19;
    private const int WeightScales0 = 0, WeightScales1 = 1, FirstTotal = 2;

    private static readonly nint StepLoop = Emit(blockStep: false);
    private static readonly nint BlockLoop = Emit(blockStep: true);

    /// <summary>Runs <paramref name="steps"/> steps of 12 vpdpbusd zmm over <paramref name="data"/> (<see cref="DataBytes"/> bytes).</summary>
    public static void RunSteps(byte* data, long steps) => ((delegate* unmanaged<byte*, long, void>)StepLoop)(data, steps);

    /// <summary>Runs <paramref name="blocks"/> blocks: <see cref="StepsPerBlock"/> steps of 12 vpdpbusd zmm, then the fp32 block step on each of the 12 chains.</summary>
    public static void RunBlocks(byte* data, long blocks) => ((delegate* unmanaged<byte*, long, void>)BlockLoop)(data, blocks);

    private static nint Emit(bool blockStep)
    {
        if (!EmittedKernels.HasVnniTile)
        {
            throw new InvalidOperationException("no emitted int8 tile in this process: its peak loop is not emitted either");
        }
        var windows = OperatingSystem.IsWindows();
        if (blockStep && windows)
        {
            // Twelve chains and twelve totals need zmm6-15, whose low halves Windows makes callee-saved.
            throw new PlatformNotSupportedException("the block-step peak loop uses xmm6-15 and is measured on System V (Linux, macOS) only");
        }
        var code = new X64Assembler();
        code.Move(Rax, windows ? Rcx : Rdi);
        code.Move(Rcx, windows ? Rdx : Rsi);
        for (var chain = 0; chain < 2 * Rows; chain++)
        {
            code.Xor(FirstChain + chain, FirstChain + chain, FirstChain + chain);
            if (blockStep)
            {
                code.Xor(FirstTotal + chain, FirstTotal + chain, FirstTotal + chain);
            }
        }
        var loop = code.Position;
        for (var step = 0; step < (blockStep ? StepsPerBlock : 1); step++)
        {
            code.LoadInt32s(Weights0, new MemoryOperand(Rax, 0));
            code.LoadInt32s(Weights1, new MemoryOperand(Rax, 64));
            for (var row = 0; row < Rows; row++)
            {
                code.BroadcastInt32(Broadcast, new MemoryOperand(Rax, 128 + 4 * row));
                code.DotBytes(FirstChain + 2 * row, Broadcast, Weights0);
                code.DotBytes(FirstChain + 2 * row + 1, Broadcast, Weights1);
            }
        }
        if (blockStep)
        {
            code.LoadFloats(WeightScales0, new MemoryOperand(Rax, ScalesOffset));
            code.LoadFloats(WeightScales1, new MemoryOperand(Rax, ScalesOffset + 64));
            for (var chain = 0; chain < 2 * Rows; chain++)
            {
                code.ConvertInt32ToFloat(Product, FirstChain + chain);
                code.MultiplyFloats(Product, Product, chain % 2 == 0 ? WeightScales0 : WeightScales1);
                code.FusedMultiplyAddBroadcast(FirstTotal + chain, Product, new MemoryOperand(Rax, ScalesOffset + 128 + 4 * (chain / 2)));
            }
        }
        code.Decrement(Rcx);
        code.JumpIfNotZero(loop);
        code.ZeroUpper();
        code.Return();
        var memory = ExecutableMemory.TryCreate(code.ToArray(), out var failure) ?? throw new InvalidOperationException(failure);
        return (nint)memory.Start;
    }
}
