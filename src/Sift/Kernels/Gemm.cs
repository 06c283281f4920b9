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
    private const int TileRows = MicroKernel.Rows;

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
        fixed (float* aPointer = a)
        fixed (float* cPointer = c)
        {
            if (weights.Format == WeightFormat.Int8)
            {
                MultiplyInt8(aPointer, rows, lda, weights, cPointer, ldc, output, pool);
                return;
            }
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
                MicroKernel.Run<TElement>(tileRows, aTile, lda, 1, panelData, PackedMatrix.PanelWidth * TElement.Bytes, k, accumulators);
                var cTile = c + (long)row * ldc + firstColumn;
                for (var r = 0; r < tileRows; r++)
                {
                    var result = accumulators + r * PackedMatrix.PanelWidth;
                    WriteRow(cTile + (long)r * ldc, Vector512.Load(result), Vector512.Load(result + 16), validColumns, output);
                }
            }
        }
    }

    /// <summary>Quantizes the activations once (rows in parallel), then runs int8 tiles over the panels.</summary>
    private static void MultiplyInt8(float* a, int rows, int lda, PackedMatrix weights, float* c, int ldc, GemmOutput output, WorkerPool pool)
    {
        var blocks = PackedMatrix.Int8Blocks(weights.Columns);
        // Another model's GEMM may run on the same pool between these two loops; it must not reuse the activations' scratch.
        lock (pool.SharedScratchLock)
        {
            var scratch = pool.SharedScratch(ActivationQuantizer.Bytes(rows, blocks));
            var values = (short*)scratch;
            var scales = (float*)(values + (long)rows * blocks * Q8Blocks.BlockSize);
            var quantize = new QuantizeBody(a, lda, weights.Columns, blocks, values, scales);
            pool.For(rows, ref quantize);
            var items = Math.Min(weights.PanelCount, pool.ThreadCount * ItemsPerThread);
            var body = new Int8Body(values, scales, blocks, rows, weights, c, ldc, output, items);
            pool.For(items, ref body);
        }
    }

    private readonly struct QuantizeBody(float* a, int lda, int columns, int blocks, short* values, float* scales) : IParallelBody
    {
        public void Execute(int index, int worker) =>
            ActivationQuantizer.QuantizeRow(a + (long)index * lda, columns, blocks, values + (long)index * blocks * Q8Blocks.BlockSize, scales + (long)index * blocks);
    }

    private readonly struct Int8Body(
        short* values, float* scales, int blocks, int rows, PackedMatrix weights, float* c, int ldc, GemmOutput output, int items) : IParallelBody
    {
        public void Execute(int index, int worker)
        {
            var firstPanel = (int)((long)weights.PanelCount * index / items);
            var endPanel = (int)((long)weights.PanelCount * (index + 1) / items);
            var accumulators = stackalloc float[MicroKernel.Int8Rows * PackedMatrix.PanelWidth];
            var stride = (nint)blocks * Q8Blocks.BlockSize;
            for (var panel = firstPanel; panel < endPanel; panel++)
            {
                var (firstColumn, validColumns) = OutputColumns(weights, panel, output);
                for (var row = 0; row < rows; row += MicroKernel.Int8Rows)
                {
                    var tileRows = Math.Min(MicroKernel.Int8Rows, rows - row);
                    MicroKernel.RunInt8(tileRows, values + row * stride, stride, scales + (long)row * blocks, blocks, weights.Panel(panel), blocks, accumulators);
                    var cTile = c + (long)row * ldc + firstColumn;
                    for (var r = 0; r < tileRows; r++)
                    {
                        var result = accumulators + r * PackedMatrix.PanelWidth;
                        WriteRow(cTile + (long)r * ldc, Vector512.Load(result), Vector512.Load(result + 16), validColumns, output);
                    }
                }
            }
        }
    }

    /// <summary>The first output column a panel writes and how many of its columns are real.</summary>
    private static (int First, int Valid) OutputColumns(PackedMatrix weights, int panel, GemmOutput output) => output == GemmOutput.SwiGlu
        ? (panel * PackedMatrix.PanelWidth / 2, Math.Min(PackedMatrix.PanelWidth / 2, weights.OutputColumns - panel * PackedMatrix.PanelWidth / 2))
        : (panel * PackedMatrix.PanelWidth, Math.Min(PackedMatrix.PanelWidth, weights.OutputColumns - panel * PackedMatrix.PanelWidth));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WriteRow(float* c, Vector512<float> low, Vector512<float> high, int validColumns, GemmOutput output)
    {
        if (output == GemmOutput.SwiGlu)
        {
            // low holds 16 gate projections, high the 16 matching up projections.
            var activated = low / (Vector512<float>.One + SimdMath.Exp(-low)) * high;
            if (validColumns >= 16)
            {
                activated.Store(c);
            }
            else
            {
                WritePartial(c, activated, validColumns);
            }
            return;
        }
        if (validColumns == PackedMatrix.PanelWidth)
        {
            // Every panel but a matrix's last one: whole vectors, no scratch.
            if (output == GemmOutput.Add)
            {
                low += Vector512.Load(c);
                high += Vector512.Load(c + 16);
            }
            low.Store(c);
            high.Store(c + 16);
            return;
        }
        WriteRowTail(c, low, high, validColumns, output);
    }

    /// <summary>The last panel of a matrix whose row count is not a multiple of 32: element by element.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void WriteRowTail(float* c, Vector512<float> low, Vector512<float> high, int validColumns, GemmOutput output)
    {
        for (var i = 0; i < validColumns; i++)
        {
            var value = i < 16 ? low.GetElement(i) : high.GetElement(i - 16);
            c[i] = output == GemmOutput.Add ? c[i] + value : value;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void WritePartial(float* destination, Vector512<float> value, int count)
    {
        for (var i = 0; i < count; i++)
        {
            destination[i] = value.GetElement(i);
        }
    }
}
