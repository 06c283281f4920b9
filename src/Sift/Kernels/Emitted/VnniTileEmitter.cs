namespace Sift.Kernels.Emitted;

/// <summary>
/// Machine code for the <see cref="WeightFormat.Int8"/> tile on AVX-512 VNNI: the same computation
/// as <see cref="MicroKernel"/>'s managed TileBytes on the 512-bit path (same panel layout, same
/// exact int32 block sums, the same fp32 operations in the same order, so the same bits), with each
/// u8×s8 step one vpdpbusd zmm (64 multiply-adds) instead of vpmaddubsw + vpmaddwd + vpaddd, which
/// .NET 10 cannot emit (its AvxVnni is the 256-bit VEX form).
/// The tile is a leaf that touches only registers both x64 conventions make volatile (rax, rcx,
/// rdx, r8-r11; zmm0-5 and zmm16-31) and never RSP: nothing to save or restore, no stack, so Windows
/// needs no unwind data for it, and both conventions run the same body (only the argument register differs).
/// </summary>
internal static class VnniTileEmitter
{
    private const int Rax = 0, Rcx = 1, Rdx = 2, Rdi = 7, R8 = 8, R9 = 9, R10 = 10, R11 = 11;

    /// <summary>rax: the <see cref="TileArguments"/>, for the whole tile.</summary>
    private const int Arguments = Rax;

    /// <summary>rcx: −4 × the blocks still to go, counting up to 0 (the loop's end and the scales' index).</summary>
    private const int ScaleIndex = Rcx;

    private const int Panel = Rdx;

    /// <summary>r8: row 0's activations in the current block; r9 and r10 hold one and three row strides.</summary>
    private const int Activations = R8, Stride = R9, Stride3 = R10;

    /// <summary>r11: the totals, or the activation scales of the row being added to them.</summary>
    private const int RowScales = R11;

    private const int Weights0 = 16, Weights1 = 17, Broadcast = 18;
    private const int WeightScales0 = 21, WeightScales1 = 22;

    /// <summary>
    /// The int32 sums of up to four rows × two vectors over a block's even steps (started from the panel's
    /// corrections) and over its odd steps (started from zero): the 4-row tile has 16 independent vpdpbusd
    /// chains instead of 8, so that the two 512-bit pipes need not wait on the instruction's latency (the
    /// peak loop did 992-1,004 GOPS with 8 chains, 1,076-1,094 with 12; the 4-row tile alone on 1024 inputs
    /// went from 851 to 950 GOPS with 16: docs/benchmarks.md). The sums wrap exactly (vpdpbusd does not
    /// saturate), so even + odd is the managed tile's single-chain sum and the fp32 results have the same bits.
    /// </summary>
    private static readonly int[] EvenSums = [25, 26, 27, 28, 29, 30, 31, 0];

    private static readonly int[] OddSums = [1, 2, 3, 4, 5, 19, 20, 24];

    /// <summary>Columns of a 512-bit panel (two vectors of 16), checked against <see cref="PackedMatrix.PanelWidth"/> before use.</summary>
    public const int PanelColumns = 32;

    private const int StepBytes = 4 * PanelColumns;

    /// <summary>
    /// The tile for <paramref name="rows"/> (1..4) rows of a <see cref="WeightFormat.Int8"/> matrix with
    /// <paramref name="layout"/>'s blocks (its steps unrolled per block); the argument is a
    /// <see cref="TileArguments"/>* in the first argument register (rcx on Windows, rdi on System V).
    /// The fp32 totals live in <see cref="TileArguments.Totals"/>, read and written once per block: the tile
    /// adds to what they hold (zeros from the caller, or a slice's totals before a later slice of the inputs).
    /// </summary>
    public static byte[] Emit(int rows, Int8Layout layout, bool windows)
    {
        if (!layout.ByteActivations)
        {
            throw new ArgumentException($"the tile multiplies {WeightFormat.Int8} matrices, not {layout.Format}", nameof(layout));
        }
        if (rows is < 1 or > MicroKernel.Int8Rows)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), rows, $"an int8 tile has 1..{MicroKernel.Int8Rows} rows");
        }
        var vectors = 2 * rows;
        var code = new X64Assembler();
        code.Move(Arguments, windows ? Rcx : Rdi);
        code.Load(Activations, Field(nameof(TileArguments.Activations)));
        if (rows > 1)
        {
            code.Load(Stride, Field(nameof(TileArguments.ActivationStride)));
        }
        if (rows > 3)
        {
            code.Load(Stride3, Field(nameof(TileArguments.ActivationStride3)));
        }
        code.Load(Panel, Field(nameof(TileArguments.Panel)));
        code.Load(ScaleIndex, Field(nameof(TileArguments.NegativeScaleBytes)));

        var weightScalesOffset = layout.WeightScalesOffset(PanelColumns);
        var correctionsOffset = layout.CorrectionsOffset(PanelColumns);
        var loop = code.Position;
        // Each block's even sums start from the panel's correction terms (−64·Σw), loaded straight into them.
        for (var r = 0; r < rows; r++)
        {
            code.LoadInt32s(EvenSums[2 * r], new MemoryOperand(Panel, correctionsOffset));
            code.LoadInt32s(EvenSums[2 * r + 1], new MemoryOperand(Panel, correctionsOffset + 64));
        }
        for (var v = 0; v < vectors; v++)
        {
            code.Xor(OddSums[v], OddSums[v], OddSums[v]);
        }
        for (var s = 0; s < layout.BlockSize / 4; s++)
        {
            var sums = s % 2 == 0 ? EvenSums : OddSums;
            code.LoadInt32s(Weights0, new MemoryOperand(Panel, s * StepBytes));
            code.LoadInt32s(Weights1, new MemoryOperand(Panel, s * StepBytes + 64));
            for (var r = 0; r < rows; r++)
            {
                code.BroadcastInt32(Broadcast, Row(r, 4 * s));
                code.DotBytes(sums[2 * r], Broadcast, Weights0);
                code.DotBytes(sums[2 * r + 1], Broadcast, Weights1);
            }
        }
        // total += (float(sum) · weight scale) · activation scale, as the managed tile does; the odd sums'
        // registers then hold the totals.
        code.LoadFloats(WeightScales0, new MemoryOperand(Panel, weightScalesOffset));
        code.LoadFloats(WeightScales1, new MemoryOperand(Panel, weightScalesOffset + 64));
        code.Load(RowScales, Field(nameof(TileArguments.Totals)));
        for (var v = 0; v < vectors; v++)
        {
            code.AddInt32s(EvenSums[v], EvenSums[v], OddSums[v]);
            code.ConvertInt32ToFloat(EvenSums[v], EvenSums[v]);
            code.MultiplyFloats(EvenSums[v], EvenSums[v], v % 2 == 0 ? WeightScales0 : WeightScales1);
            code.LoadFloats(OddSums[v], Total(v));
        }
        for (var r = 0; r < rows; r++)
        {
            code.Load(RowScales, Field(TileArguments.ScalesEndOffset(r)));
            code.FusedMultiplyAddBroadcast(OddSums[2 * r], EvenSums[2 * r], new MemoryOperand(RowScales, 0, ScaleIndex));
            code.FusedMultiplyAddBroadcast(OddSums[2 * r + 1], EvenSums[2 * r + 1], new MemoryOperand(RowScales, 0, ScaleIndex));
        }
        code.Load(RowScales, Field(nameof(TileArguments.Totals)));
        for (var v = 0; v < vectors; v++)
        {
            code.StoreFloats(Total(v), OddSums[v]);
        }
        code.Add(Activations, layout.BlockSize);
        code.Add(Panel, layout.PanelBlockBytes(PanelColumns));
        code.Add(ScaleIndex, sizeof(float));
        code.JumpIfNotZero(loop);

        code.ZeroUpper();
        code.Return();
        return code.ToArray();
    }

    /// <summary>Vector <paramref name="vector"/> of the totals, with their address in <see cref="RowScales"/>.</summary>
    private static MemoryOperand Total(int vector) => new(RowScales, 64 * vector);

    private static MemoryOperand Field(string name) => Field(TileArguments.Offset(name));

    private static MemoryOperand Field(int offset) => new(Arguments, offset);

    /// <summary>Row <paramref name="row"/>'s activations at <paramref name="displacement"/>: row 0 + 0, 1, 2 or 3 strides.</summary>
    private static MemoryOperand Row(int row, int displacement) => row switch
    {
        0 => new MemoryOperand(Activations, displacement),
        1 => new MemoryOperand(Activations, displacement, Stride),
        2 => new MemoryOperand(Activations, displacement, Stride, 2),
        _ => new MemoryOperand(Activations, displacement, Stride3),
    };
}
