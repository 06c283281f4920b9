using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Sift.Kernels;

/// <summary>
/// The one matrix multiply of the engine: C[m, n] = Σₖ A[m, k]·W[n, k], activations times packed
/// weights transposed, fp32 accumulation. Every element is one fused multiply-add chain over k in
/// ascending order starting from zero, whatever the number of rows, the row's place in the batch,
/// the thread or the path: that is what makes a sequence's result independent of its batch.
/// </summary>
public static unsafe partial class Gemm
{
    /// <summary>Rows per micro-kernel tile: 8 rows × 2 vectors = 16 accumulators, plus 2 weight vectors.</summary>
    internal const int TileRows = 8;

    /// <summary>
    /// From this many rows on, a weight panel is widened to fp32 once into scratch and reused by
    /// every row tile; below it, tiles widen bf16/fp16 in registers (no scratch traffic).
    /// </summary>
    internal const int WidenPanelMinRows = 2 * TileRows;

    /// <summary>Work items per thread, so that uneven items still balance across the pool.</summary>
    private const int ItemsPerThread = 4;

    /// <summary>Multiplies <paramref name="a"/> [rows × weights.Columns, row stride <paramref name="lda"/>] by the packed weights.</summary>
    /// <param name="a">Activations, row-major.</param>
    /// <param name="rows">Number of activation rows (M).</param>
    /// <param name="lda">Distance between activation rows, at least weights.Columns.</param>
    /// <param name="weights">The packed weight matrix.</param>
    /// <param name="c">Output, row-major, weights.OutputColumns wide.</param>
    /// <param name="ldc">Distance between output rows.</param>
    /// <param name="output">Store, add, or SwiGLU.</param>
    /// <param name="pool">The threads to use.</param>
    public static void Multiply(ReadOnlySpan<float> a, int rows, int lda, PackedMatrix weights, Span<float> c, int ldc, GemmOutput output, WorkerPool pool)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(pool);
        if (rows == 0)
        {
            return;
        }
        if ((output == GemmOutput.SwiGlu) != weights.IsGateUpInterleaved)
        {
            throw new ArgumentException($"{output} output needs {(weights.IsGateUpInterleaved ? "a plain" : "a gate/up interleaved")} matrix", nameof(output));
        }
        var outputColumns = weights.OutputColumns;
        if (lda < weights.Columns || (long)(rows - 1) * lda + weights.Columns > a.Length)
        {
            throw new ArgumentException($"activations hold {a.Length} floats, too few for {rows} rows of {weights.Columns} at stride {lda}", nameof(a));
        }
        if (ldc < outputColumns || (long)(rows - 1) * ldc + outputColumns > c.Length)
        {
            throw new ArgumentException($"output holds {c.Length} floats, too few for {rows} rows of {outputColumns} at stride {ldc}", nameof(c));
        }
        if (weights.Format == WeightFormat.Int8)
        {
            throw new NotSupportedException("int8 weights are multiplied by Int8Gemm");
        }
        fixed (float* aPointer = a)
        fixed (float* cPointer = c)
        {
            var items = Math.Min(weights.PanelCount, pool.ThreadCount * ItemsPerThread);
            var body = new FloatBody(aPointer, lda, rows, weights, cPointer, ldc, output, items, pool);
            pool.For(items, ref body);
        }
    }

    private readonly struct FloatBody(
        float* a, int lda, int rows, PackedMatrix weights, float* c, int ldc, GemmOutput output, int items, WorkerPool pool) : IParallelBody
    {
        public void Execute(int index, int worker)
        {
            var firstPanel = (int)((long)weights.PanelCount * index / items);
            var endPanel = (int)((long)weights.PanelCount * (index + 1) / items);
            var widen = rows >= WidenPanelMinRows && weights.Format != WeightFormat.F32;
            var scratch = widen ? (float*)pool.Scratch(worker, (long)weights.Columns * PackedMatrix.PanelWidth * sizeof(float)) : null;
            for (var panel = firstPanel; panel < endPanel; panel++)
            {
                if (widen)
                {
                    WidenPanel(weights, panel, scratch);
                    RunPanel<F32Element>((byte*)scratch, panel);
                    continue;
                }
                switch (weights.Format)
                {
                    case WeightFormat.F32: RunPanel<F32Element>(weights.Panel(panel), panel); break;
                    case WeightFormat.BF16: RunPanel<Bf16Element>(weights.Panel(panel), panel); break;
                    default: RunPanel<F16Element>(weights.Panel(panel), panel); break;
                }
            }
        }

        private void RunPanel<TElement>(byte* panelData, int panel) where TElement : struct, IPanelElement
        {
            var k = weights.Columns;
            var (firstColumn, validColumns) = output == GemmOutput.SwiGlu
                ? (panel * PackedMatrix.PanelWidth / 2, Math.Min(PackedMatrix.PanelWidth / 2, weights.OutputColumns - panel * PackedMatrix.PanelWidth / 2))
                : (panel * PackedMatrix.PanelWidth, Math.Min(PackedMatrix.PanelWidth, weights.Rows - panel * PackedMatrix.PanelWidth));
            var accumulators = stackalloc float[TileRows * PackedMatrix.PanelWidth];
            for (var row = 0; row < rows; row += TileRows)
            {
                var tileRows = Math.Min(TileRows, rows - row);
                var aTile = a + (long)row * lda;
                switch (tileRows)
                {
                    case 8: Tile<TElement, Rows8>(aTile, lda, panelData, k, accumulators); break;
                    case 7: Tile<TElement, Rows7>(aTile, lda, panelData, k, accumulators); break;
                    case 6: Tile<TElement, Rows6>(aTile, lda, panelData, k, accumulators); break;
                    case 5: Tile<TElement, Rows5>(aTile, lda, panelData, k, accumulators); break;
                    case 4: Tile<TElement, Rows4>(aTile, lda, panelData, k, accumulators); break;
                    case 3: Tile<TElement, Rows3>(aTile, lda, panelData, k, accumulators); break;
                    case 2: Tile<TElement, Rows2>(aTile, lda, panelData, k, accumulators); break;
                    default: Tile<TElement, Rows1>(aTile, lda, panelData, k, accumulators); break;
                }
                var cTile = c + (long)row * ldc + firstColumn;
                for (var r = 0; r < tileRows; r++)
                {
                    var result = accumulators + r * PackedMatrix.PanelWidth;
                    WriteRow(cTile + (long)r * ldc, Vector512.Load(result), Vector512.Load(result + 16), validColumns, output);
                }
            }
        }
    }

    private static void WidenPanel(PackedMatrix weights, int panel, float* destination)
    {
        var source = weights.Panel(panel);
        var count = (long)weights.Columns * PackedMatrix.PanelWidth;
        if (weights.Format == WeightFormat.BF16)
        {
            for (long i = 0; i < count; i += 16)
            {
                Bf16Element.Load16(source + i * 2).Store(destination + i);
            }
        }
        else
        {
            for (long i = 0; i < count; i += 16)
            {
                F16Element.Load16(source + i * 2).Store(destination + i);
            }
        }
    }

    /// <summary>
    /// The micro-kernel: TRows rows × 32 columns, k steps of one broadcast per row and two weight
    /// vectors, one FMA chain per output element.
    /// </summary>
    /// <remarks>
    /// The accumulators go to <paramref name="accumulators"/> and the output step runs in the caller:
    /// a call or a stackalloc in this method would make the JIT spill the 16 accumulators to the
    /// stack on every iteration (measured: 2.2× slower).
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TElement, TRows>(float* a, nint lda, byte* panel, int k, float* accumulators)
        where TElement : struct, IPanelElement
        where TRows : struct, IRowCount
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        var step = PackedMatrix.PanelWidth * TElement.Bytes;
        var half = 16 * TElement.Bytes;
        for (var i = 0; i < k; i++, panel += step)
        {
            var b0 = TElement.Load16(panel);
            var b1 = TElement.Load16(panel + half);
            var ai = a + i;
            var x = Vector512.Create(ai[0]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            if (TRows.Value > 1)
            {
                x = Vector512.Create(ai[lda]);
                c10 = Vector512.FusedMultiplyAdd(x, b0, c10);
                c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            }
            if (TRows.Value > 2)
            {
                x = Vector512.Create(ai[2 * lda]);
                c20 = Vector512.FusedMultiplyAdd(x, b0, c20);
                c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            }
            if (TRows.Value > 3)
            {
                x = Vector512.Create(ai[3 * lda]);
                c30 = Vector512.FusedMultiplyAdd(x, b0, c30);
                c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            }
            if (TRows.Value > 4)
            {
                x = Vector512.Create(ai[4 * lda]);
                c40 = Vector512.FusedMultiplyAdd(x, b0, c40);
                c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            }
            if (TRows.Value > 5)
            {
                x = Vector512.Create(ai[5 * lda]);
                c50 = Vector512.FusedMultiplyAdd(x, b0, c50);
                c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            }
            if (TRows.Value > 6)
            {
                x = Vector512.Create(ai[6 * lda]);
                c60 = Vector512.FusedMultiplyAdd(x, b0, c60);
                c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            }
            if (TRows.Value > 7)
            {
                x = Vector512.Create(ai[7 * lda]);
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WriteRow(float* c, Vector512<float> low, Vector512<float> high, int validColumns, GemmOutput output)
    {
        if (output == GemmOutput.SwiGlu)
        {
            // low holds 16 gate projections, high the 16 matching up projections.
            var activated = low / (Vector512<float>.One + Vector512.Exp(-low)) * high;
            StorePartial(c, activated, validColumns);
            return;
        }
        if (output == GemmOutput.Add)
        {
            var count = Math.Min(validColumns, 16);
            low += LoadPartial(c, count);
            high += LoadPartial(c + 16, validColumns - 16);
        }
        StorePartial(c, low, validColumns);
        StorePartial(c + 16, high, validColumns - 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> LoadPartial(float* source, int count)
    {
        if (count >= 16)
        {
            return Vector512.Load(source);
        }
        var buffer = stackalloc float[16];
        Vector512<float>.Zero.Store(buffer);
        for (var i = 0; i < count; i++)
        {
            buffer[i] = source[i];
        }
        return Vector512.Load(buffer);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePartial(float* destination, Vector512<float> value, int count)
    {
        if (count >= 16)
        {
            value.Store(destination);
            return;
        }
        for (var i = 0; i < count; i++)
        {
            destination[i] = value.GetElement(i);
        }
    }
}
