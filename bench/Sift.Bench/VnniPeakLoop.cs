using Sift.Kernels.Emitted;

namespace Sift.Bench;

/// <summary>
/// The ceiling of the emitted int8 tile's instruction (vpdpbusd zmm), measured as <see cref="FmaPeak"/>
/// measures the managed sequences: per iteration two weight vectors and six broadcast activations
/// from an L1-resident buffer, twelve independent accumulator chains. Emitted with the same
/// assembler and executable memory as the kernel (only where the kernel itself is emitted).
/// </summary>
internal static unsafe class VnniPeakLoop
{
    private const int Rax = 0, Rcx = 1, Rdx = 2, Rsi = 6, Rdi = 7;

    private static readonly nint Loop = Emit();

    /// <summary>Runs <paramref name="iterations"/> iterations of 12 vpdpbusd zmm over <paramref name="data"/> (at least 160 bytes).</summary>
    public static void Run(byte* data, long iterations) => ((delegate* unmanaged<byte*, long, void>)Loop)(data, iterations);

    private static nint Emit()
    {
        if (!EmittedKernels.HasVnniTile)
        {
            throw new InvalidOperationException("no emitted int8 tile in this process: its peak loop is not emitted either");
        }
        var windows = OperatingSystem.IsWindows();
        var code = new X64Assembler();
        code.Move(Rax, windows ? Rcx : Rdi);
        code.Move(Rcx, windows ? Rdx : Rsi);
        for (var chain = 20; chain < 32; chain++)
        {
            code.Xor(chain, chain, chain);
        }
        var loop = code.Position;
        code.LoadInt32s(16, new MemoryOperand(Rax, 0));
        code.LoadInt32s(17, new MemoryOperand(Rax, 64));
        for (var row = 0; row < 6; row++)
        {
            code.BroadcastInt32(18, new MemoryOperand(Rax, 128 + 4 * row));
            code.DotBytes(20 + 2 * row, 18, 16);
            code.DotBytes(21 + 2 * row, 18, 17);
        }
        code.Decrement(Rcx);
        code.JumpIfNotZero(loop);
        code.ZeroUpper();
        code.Return();
        var memory = ExecutableMemory.TryCreate(code.ToArray(), out var failure) ?? throw new InvalidOperationException(failure);
        return (nint)memory.Start;
    }
}
