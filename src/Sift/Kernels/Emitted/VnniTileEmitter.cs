using System.Runtime.InteropServices;

namespace Sift.Kernels.Emitted;

/// <summary>What an emitted int8 tile reads and writes: row pointers for up to four rows, one panel.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct TileArguments
{
    public byte* Row0;
    public byte* Row1;
    public byte* Row2;
    public byte* Row3;
    public float* Scales0;
    public float* Scales1;
    public float* Scales2;
    public float* Scales3;
    public byte* Panel;
    public long Blocks;
    public float* Totals;
}

/// <summary>
/// Machine code for the <see cref="WeightFormat.Int8"/> tile on AVX-512 VNNI: the same computation
/// as <see cref="MicroKernel"/>'s managed TileBytes on the 512-bit path (same panel layout, same
/// exact int32 block sums, the same fp32 operations in the same order, so the same bits), with each
/// u8×s8 step one vpdpbusd zmm (64 multiply-adds) instead of vpmaddubsw + vpmaddwd + vpaddd, which
/// .NET 10 cannot emit (its AvxVnni is the 256-bit VEX form). Uses only registers that are volatile
/// or saved here on both the System V and the Windows x64 conventions (xmm6-15 only on System V).
/// </summary>
internal static class VnniTileEmitter
{
    private const int Rax = 0, Rcx = 1, Rdx = 2, Rbx = 3, Rsi = 6, Rdi = 7, R8 = 8, R9 = 9, R10 = 10, R11 = 11, R12 = 12, R13 = 13;

    private const int Weights0 = 16, Weights1 = 17, Broadcast = 18;
    private const int WeightScales0 = 21, WeightScales1 = 22, Product = 23, Total = 24;

    /// <summary>zmm25-31 and zmm0: the int32 block sums of up to four rows × two vectors.</summary>
    private static readonly int[] Sums = [25, 26, 27, 28, 29, 30, 31, 0];

    /// <summary>
    /// zmm1-8: the fp32 totals, held in registers for the whole tile on System V, where every vector
    /// register is volatile. On Windows xmm6-15 are callee-saved, so there the totals stay in memory.
    /// </summary>
    private static readonly int[] Totals = [1, 2, 3, 4, 5, 6, 7, 8];

    private static readonly int[] RowRegisters = [R8, R9, R10, R11];
    private static readonly int[] ScaleRegisters = [Rbx, Rsi, Rdi, R12];
    private static readonly int[] Saved = [Rbx, Rsi, Rdi, R12, R13];

    private const int PanelColumns = 32;
    private const int StepBytes = 4 * PanelColumns;
    private const int Steps = Q8Blocks.BlockSize / 4;
    private const int WeightScalesOffset = Steps * StepBytes;
    private const int CorrectionsOffset = WeightScalesOffset + PanelColumns * sizeof(float);

    /// <summary>The tile for <paramref name="rows"/> (1..4) rows; the argument is a <see cref="TileArguments"/>* in the platform's first argument register.</summary>
    public static byte[] Emit(int rows, bool windows)
    {
        var code = new X64Assembler();
        foreach (var register in Saved)
        {
            code.Push(register);
        }
        code.Move(Rax, windows ? Rcx : Rdi);
        for (var r = 0; r < rows; r++)
        {
            code.Load(RowRegisters[r], Rax, 8 * r);
            code.Load(ScaleRegisters[r], Rax, 32 + 8 * r);
        }
        code.Load(Rdx, Rax, 64);
        code.Load(Rcx, Rax, 72);
        code.Load(R13, Rax, 80);
        var totalsInRegisters = !windows;
        code.Xor(Product, Product, Product);
        for (var v = 0; v < 2 * rows; v++)
        {
            if (totalsInRegisters)
            {
                code.Xor(Totals[v], Totals[v], Totals[v]);
            }
            else
            {
                code.StoreFloats(R13, 64 * v, Product);
            }
        }

        var loop = code.Position;
        // Each block's sums start from the panel's correction terms (−64·Σw), loaded straight into them.
        for (var r = 0; r < rows; r++)
        {
            code.LoadInt32s(Sums[2 * r], Rdx, CorrectionsOffset);
            code.LoadInt32s(Sums[2 * r + 1], Rdx, CorrectionsOffset + 64);
        }
        for (var s = 0; s < Steps; s++)
        {
            code.LoadInt32s(Weights0, Rdx, s * StepBytes);
            code.LoadInt32s(Weights1, Rdx, s * StepBytes + 64);
            for (var r = 0; r < rows; r++)
            {
                code.BroadcastInt32(Broadcast, RowRegisters[r], 4 * s);
                code.DotBytes(Sums[2 * r], Broadcast, Weights0);
                code.DotBytes(Sums[2 * r + 1], Broadcast, Weights1);
            }
        }
        // total += (float(sum) · weight scale) · activation scale, as the managed tile does.
        code.LoadFloats(WeightScales0, Rdx, WeightScalesOffset);
        code.LoadFloats(WeightScales1, Rdx, WeightScalesOffset + 64);
        for (var r = 0; r < rows; r++)
        {
            for (var half = 0; half < 2; half++)
            {
                var v = 2 * r + half;
                code.ConvertInt32ToFloat(Product, Sums[v]);
                code.MultiplyFloats(Product, Product, half == 0 ? WeightScales0 : WeightScales1);
                if (totalsInRegisters)
                {
                    code.FusedMultiplyAddBroadcast(Totals[v], Product, ScaleRegisters[r], 0);
                }
                else
                {
                    code.LoadFloats(Total, R13, 64 * v);
                    code.FusedMultiplyAddBroadcast(Total, Product, ScaleRegisters[r], 0);
                    code.StoreFloats(R13, 64 * v, Total);
                }
            }
        }
        for (var r = 0; r < rows; r++)
        {
            code.Add(RowRegisters[r], Q8Blocks.BlockSize);
            code.Add(ScaleRegisters[r], sizeof(float));
        }
        code.Add(Rdx, PackedMatrix.Int8BlockBytes(WeightFormat.Int8, PanelColumns));
        code.Decrement(Rcx);
        code.JumpIfNotZero(loop);

        if (totalsInRegisters)
        {
            for (var v = 0; v < 2 * rows; v++)
            {
                code.StoreFloats(R13, 64 * v, Totals[v]);
            }
        }
        code.ZeroUpper();
        for (var i = Saved.Length - 1; i >= 0; i--)
        {
            code.Pop(Saved[i]);
        }
        code.Return();
        return code.ToArray();
    }
}
