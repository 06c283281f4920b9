using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Sift.Kernels.Emitted;
using Sift.Kernels.Vectors;

namespace Sift.Kernels;

/// <summary>
/// The one matrix multiply of the engine: C[m, n] = Σₖ A[m, k]·W[n, k], activations times packed
/// weights transposed, fp32 accumulation. Every element is one fused multiply-add chain over k in
/// ascending order starting from zero, whatever the number of rows, the row's place in the batch
/// or the thread: that is what makes a sequence's result independent of its batch. The driver is
/// written once; the micro-kernels and the output step are generic over the register width of the
/// process's <see cref="KernelPath"/>.
/// </summary>
public static unsafe class Gemm
{
    /// <summary>
    /// From this many rows on, a bf16 weight panel is widened to fp32 once into scratch and reused by
    /// every row tile; below it, tiles widen bf16 in registers (no scratch traffic). fp16 panels are
    /// always widened into scratch (bf16 widens with one shift; fp16 would cost more in the inner loop).
    /// </summary>
    internal const int WidenPanelMinRows = 16;

    /// <summary>Work items per thread, so that uneven items still balance across the pool.</summary>
    private const int ItemsPerThread = 4;

    /// <summary>
    /// Activation rows an int8 work item runs through all its panels before the next rows: 128 rows
    /// of quantized activations (128-384 KB at the 0.6B shapes) stay in L2 while every panel passes.
    /// </summary>
    internal const int Int8RowBlock = 128;

    /// <summary>
    /// Row tiles per panel (per 128-row block for int8) up to which the next panel is prefetched
    /// (<see cref="NextPanelToPrefetch"/>): 8 int8 tiles or 6 fp32 tiles are W2's 32 rows, where it was
    /// measured; W1's 32 tiles per block showed no gain, and counts in between were not measured.
    /// </summary>
    private const int PrefetchMaxTiles = 8;

    /// <summary>Bytes per cache line on every x86 CPU the prefetch runs on.</summary>
    private const int CacheLine = 64;

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
            var problem = new Problem(aPointer, rows, lda, weights, cPointer, ldc, output);
            if (KernelPath.Uses512)
            {
                Run<Width512, Vector512<float>, Vector512<int>>(problem, pool);
            }
            else if (KernelPath.Uses256)
            {
                Run<Width256, Vector256<float>, Vector256<int>>(problem, pool);
            }
            else
            {
                Run<Width128, Vector128<float>, Vector128<int>>(problem, pool);
            }
        }
    }

    private static void Run<TWidth, TVector, TInt>(Problem problem, WorkerPool pool)
        where TWidth : struct, IVectorWidth<TVector>, IInt8Width<TInt, TVector>
        where TVector : struct
        where TInt : struct
    {
        var items = Math.Min(problem.Weights.PanelCount, pool.ThreadCount * ItemsPerThread);
        if (!PackedMatrix.IsInt8(problem.Weights.Format))
        {
            var body = new FloatBody<TWidth, TVector>(problem, items, pool);
            pool.For(items, ref body);
            return;
        }
        var layout = problem.Weights.Int8Layout;
        var blocks = layout.Blocks(problem.Weights.Columns);
        // Another model's GEMM may run on the same pool between these two loops; it must not reuse the activations' scratch.
        lock (pool.SharedScratchLock)
        {
            var activations = pool.SharedScratch(layout.ActivationBytes(problem.Rows, blocks));
            var valueBytes = problem.Rows * layout.ActivationRowBytes(blocks);
            var scales = (float*)(activations + valueBytes);
            var quantize = new QuantizeBody<TWidth, TVector>(problem, layout, blocks, activations, scales);
            pool.For(problem.Rows, ref quantize);
            var body = new Int8Body<TWidth, TVector, TInt>(problem, layout, blocks, activations, scales, items, pool);
            pool.For(items, ref body);
        }
    }

    /// <summary>One multiply's operands, as the parallel bodies see them.</summary>
    private readonly struct Problem(float* a, int rows, int lda, PackedMatrix weights, float* c, int ldc, GemmOutput output)
    {
        public float* A { get; } = a;
        public int Rows { get; } = rows;
        public int Lda { get; } = lda;
        public PackedMatrix Weights { get; } = weights;
        public float* C { get; } = c;
        public int Ldc { get; } = ldc;
        public GemmOutput Output { get; } = output;

        /// <summary>The first output column a panel writes and how many of its columns are real.</summary>
        public (int First, int Valid) OutputColumns(int panel)
        {
            var width = PackedMatrix.PanelWidth;
            return Output == GemmOutput.SwiGlu
                ? (panel * width / 2, Math.Min(width / 2, Weights.OutputColumns - panel * width / 2))
                : (panel * width, Math.Min(width, Weights.OutputColumns - panel * width));
        }

        public (int First, int End) Panels(int item, int items) =>
            ((int)((long)Weights.PanelCount * item / items), (int)((long)Weights.PanelCount * (item + 1) / items));
    }

    private readonly struct FloatBody<TWidth, TVector>(Problem problem, int items, WorkerPool pool) : IParallelBody
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
    {
        public void Execute(int index, int worker)
        {
            var weights = problem.Weights;
            var (firstPanel, endPanel) = problem.Panels(index, items);
            var widen = weights.Format == WeightFormat.F16 || (problem.Rows >= WidenPanelMinRows && weights.Format != WeightFormat.F32);
            var panelValues = weights.Columns * PackedMatrix.PanelWidth;
            var scratch = widen ? (float*)pool.Scratch(worker, (long)panelValues * sizeof(float)) : null;
            for (var panel = firstPanel; panel < endPanel; panel++)
            {
                if (widen)
                {
                    NumberFormats.ToSingle(weights.Format, new ReadOnlySpan<byte>(weights.Panel(panel), (int)weights.PanelBytes), new Span<float>(scratch, panelValues));
                    RunPanel<F32Element>((byte*)scratch, panel, endPanel);
                }
                else if (weights.Format == WeightFormat.F32)
                {
                    RunPanel<F32Element>(weights.Panel(panel), panel, endPanel);
                }
                else
                {
                    RunPanel<Bf16Element>(weights.Panel(panel), panel, endPanel);
                }
            }
        }

        private void RunPanel<TElement>(byte* panelData, int panel, int endPanel) where TElement : struct, IPanelElement
        {
            var width = 2 * TWidth.Count;
            var (firstColumn, validColumns) = problem.OutputColumns(panel);
            var accumulators = stackalloc float[TWidth.TileRows * width];
            var tiles = (problem.Rows + TWidth.TileRows - 1) / TWidth.TileRows;
            var next = NextPanelToPrefetch<TWidth>(problem.Weights, panel, endPanel, tiles);
            var tile = 0;
            for (var row = 0; row < problem.Rows; row += TWidth.TileRows, tile++)
            {
                var tileRows = Math.Min(TWidth.TileRows, problem.Rows - row);
                PrefetchSlice(next, problem.Weights.PanelBytes, tile, tiles);
                MicroKernel.Run<TWidth, TVector, TElement>(tileRows, problem.A + (long)row * problem.Lda, problem.Lda, 1, panelData, width * TElement.Bytes,
                    problem.Weights.Columns, accumulators);
                var cTile = problem.C + (long)row * problem.Ldc + firstColumn;
                for (var r = 0; r < tileRows; r++)
                {
                    WriteRow<TWidth, TVector>(cTile + (long)r * problem.Ldc, accumulators + r * width, validColumns, problem.Output);
                }
            }
        }
    }

    private readonly struct QuantizeBody<TWidth, TVector>(Problem problem, Int8Layout layout, int blocks, byte* values, float* scales) : IParallelBody
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
    {
        public void Execute(int index, int worker)
        {
            var row = problem.A + (long)index * problem.Lda;
            ActivationQuantizer.QuantizeRow<TWidth, TVector>(layout, row, problem.Weights.Columns, blocks, values + index * layout.ActivationRowBytes(blocks),
                scales + (long)index * blocks);
        }
    }

    private readonly struct Int8Body<TWidth, TVector, TInt>(Problem problem, Int8Layout layout, int blocks, byte* values, float* scales, int items, WorkerPool pool)
        : IParallelBody
        where TWidth : struct, IVectorWidth<TVector>, IInt8Width<TInt, TVector>
        where TVector : struct
        where TInt : struct
    {
        public void Execute(int index, int worker)
        {
            var (firstPanel, endPanel) = problem.Panels(index, items);
            var sliced = Int8Slices(layout, blocks);
            // Sliced, a whole row block's totals (16 KB on AVX-512) wait between slices: the worker's scratch,
            // reused across calls; unsliced (a short query), one tile's on the stack.
            var width = 2 * TWidth.Count;
            float* tileTotals = stackalloc float[MicroKernel.Int8Rows * width];
            var totals = problem.Rows > Int8SliceMinRows && sliced > 1 ? (float*)pool.Scratch(worker, (long)Int8RowBlock * width * sizeof(float)) : tileTotals;
            for (var firstRow = 0; firstRow < problem.Rows; firstRow += Int8RowBlock)
            {
                var endRow = Math.Min(problem.Rows, firstRow + Int8RowBlock);
                var slices = endRow - firstRow > Int8SliceMinRows ? sliced : 1;
                Debug.Assert(slices == 1 || totals != tileTotals, "a sliced row block keeps every tile's totals: it needs the scratch");
                for (var panel = firstPanel; panel < endPanel; panel++)
                {
                    RunPanel(panel, endPanel, firstRow, endRow, slices, totals);
                }
            }
        }

        /// <summary>
        /// One panel for rows [<paramref name="firstRow"/>, <paramref name="endRow"/>): each slice of the inputs
        /// through every row tile, the totals kept between slices, and the rows written after the last.
        /// </summary>
        private void RunPanel(int panel, int endPanel, int firstRow, int endRow, int slices, float* totals)
        {
            var width = 2 * TWidth.Count;
            var (firstColumn, validColumns) = problem.OutputColumns(panel);
            var tiles = (endRow - firstRow + MicroKernel.Int8Rows - 1) / MicroKernel.Int8Rows;
            var next = NextPanelToPrefetch<TWidth>(problem.Weights, panel, endPanel, tiles);
            var stride = (nint)blocks * layout.BlockSize;
            var blockBytes = layout.PanelBlockBytes(width);
            for (var slice = 0; slice < slices; slice++)
            {
                var firstBlock = (int)((long)blocks * slice / slices);
                var sliceBlocks = (int)((long)blocks * (slice + 1) / slices) - firstBlock;
                var panelData = problem.Weights.Panel(panel) + (long)firstBlock * blockBytes;
                var tile = 0;
                for (var row = firstRow; row < endRow; row += MicroKernel.Int8Rows, tile++)
                {
                    var tileRows = Math.Min(MicroKernel.Int8Rows, endRow - row);
                    // (Never both today: a sliced row block has more tiles than the prefetch is enabled for.)
                    PrefetchSlice(next, problem.Weights.PanelBytes, slice * tiles + tile, slices * tiles);
                    // Unsliced, every tile reuses the first totals, which stay in L1.
                    var tileTotals = slices == 1 ? totals : totals + (row - firstRow) * width;
                    var activations = row * stride + (nint)firstBlock * layout.BlockSize;
                    var rowScales = scales + (long)row * blocks + firstBlock;
                    if (layout.ByteActivations && typeof(TWidth) == typeof(Width512) && EmittedKernels.HasVnniTile)
                    {
                        EmittedKernels.RunBytes(tileRows, values + activations, stride, rowScales, blocks, panelData, sliceBlocks, layout, tileTotals, slice > 0);
                    }
                    else if (layout.ByteActivations)
                    {
                        MicroKernel.RunBytes<TWidth, TVector, TInt>(tileRows, values + activations, stride, rowScales, blocks, panelData, sliceBlocks, layout,
                            tileTotals, slice > 0);
                    }
                    else
                    {
                        MicroKernel.RunPairs<TWidth, TVector, TInt>(tileRows, (short*)values + activations, stride, rowScales, blocks, panelData, sliceBlocks, layout,
                            tileTotals, slice > 0);
                    }
                    if (slice < slices - 1)
                    {
                        continue;
                    }
                    var cTile = problem.C + (long)row * problem.Ldc + firstColumn;
                    for (var r = 0; r < tileRows; r++)
                    {
                        WriteRow<TWidth, TVector>(cTile + (long)r * problem.Ldc, tileTotals + r * width, validColumns, problem.Output);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Slices of the inputs an int8 panel is multiplied in when a row block has more than
    /// <see cref="Int8SliceMinRows"/> rows, so that one slice of the panel stays in the L1 cache while every
    /// row tile passes over it: at most <see cref="Int8SliceBytes"/> of panel each, in whole blocks, as even
    /// as the blocks allow. A slice ends with the fp32 totals in memory and the next starts from them, the
    /// same operations in the same order: the bits do not depend on slicing, so a row alone (unsliced) and
    /// in a batch (sliced) agree.
    /// </summary>
    internal static int Int8Slices(Int8Layout layout, int blocks)
    {
        var blocksPerSlice = Math.Max(1, Int8SliceBytes / layout.PanelBlockBytes(PackedMatrix.PanelWidth));
        return (blocks + blocksPerSlice - 1) / blocksPerSlice;
    }

    /// <summary>
    /// Panel bytes per slice: at the 0.6B shapes 4-5 blocks of 128 on AVX-512 (17-22 KB of Zen 4/5's 48 KB
    /// L1), 8-11 on AVX2. Measured on AVX-512 (docs/benchmarks.md, GEMM at M = 256, one thread): unsliced,
    /// the 2048- and 3072-input panels (70-104 KB) held o_proj and down at 73-75% of the step's ceiling
    /// (59-61% at M = 2048) with the 16-chain emitted tile, against 79-82% (70-74%) in 24 KB slices;
    /// 36 KB slices, which left the 1024-input panels whole, gained less; 16 KB slices (3 blocks) lost on the
    /// 1024-input shapes. On AVX2 it changed W1 and W2 within noise; the 128-bit path was not measured.
    /// </summary>
    private const int Int8SliceBytes = 24 * 1024;

    /// <summary>
    /// Rows per row block up to which a panel is not sliced: W2's one 32-token query was 2-13% slower
    /// sliced on AVX-512 (docs/benchmarks.md; a slice's first tile waits on memory, and the hardware
    /// prefetcher's stream restarts at every slice), while its panels are read only 8 times each.
    /// </summary>
    internal const int Int8SliceMinRows = 32;

    /// <summary>
    /// The panel after <paramref name="panel"/>, when it is this work item's (before <paramref name="endPanel"/>)
    /// and its lines should be prefetched while this one is multiplied; else null. With few rows (a short
    /// query), the first read of a panel (the first row tile's, or the bf16 widening pass's) stalls on
    /// memory once per panel and the rest of the panel's work leaves the memory system idle; prefetching
    /// the next panel a slice per row tile (<see cref="PrefetchSlice"/>) spreads the stream out. Enabled
    /// only where measured to pay (docs/benchmarks.md: W2, one 32-token query, 5-9% faster): the AVX2
    /// path, up to <see cref="PrefetchMaxTiles"/> row tiles. Off on AVX-512, where W2 with the emitted
    /// VNNI tile was 6% slower with it (its other tiles were not measured); off on the 128-bit x86 path
    /// (not measured); absent on ARM64 (.NET has no prefetch intrinsic there).
    /// </summary>
    private static byte* NextPanelToPrefetch<TWidth>(PackedMatrix weights, int panel, int endPanel, int tiles) =>
        Sse.IsSupported && typeof(TWidth) == typeof(Width256) && tiles <= PrefetchMaxTiles && panel + 1 < endPanel
            ? weights.Panel(panel + 1)
            : null;

    /// <summary>Prefetches row tile <paramref name="tile"/>'s share (of <paramref name="tiles"/>) of a panel's cache lines into L2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchSlice(byte* panel, long panelBytes, int tile, int tiles)
    {
        if (panel == null)
        {
            return;
        }
        var lines = panelBytes / CacheLine;
        for (var line = lines * tile / tiles; line < lines * (tile + 1) / tiles; line++)
        {
            Sse.Prefetch1(panel + line * CacheLine);
        }
    }

    /// <summary>One tile row's results (two vectors at <paramref name="result"/>) to C: stored, added, or as silu(gate)·up.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WriteRow<TWidth, TVector>(float* c, float* result, int validColumns, GemmOutput output)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
    {
        var n = TWidth.Count;
        var low = TWidth.Load(result);
        var high = TWidth.Load(result + n);
        if (output == GemmOutput.SwiGlu)
        {
            // low holds the gate projections, high the matching up projections.
            var activated = TWidth.Multiply(TWidth.Divide(low, TWidth.Add(TWidth.Create(1f), SimdMath.Exp<TWidth, TVector>(TWidth.Subtract(TWidth.Zero, low)))), high);
            if (validColumns >= n)
            {
                TWidth.Store(activated, c);
            }
            else
            {
                TWidth.Store(activated, result);
                WriteTail(c, result, validColumns, GemmOutput.Store);
            }
            return;
        }
        if (validColumns == 2 * n)
        {
            // Every panel but a matrix's last one: whole vectors.
            if (output == GemmOutput.Add)
            {
                low = TWidth.Add(low, TWidth.Load(c));
                high = TWidth.Add(high, TWidth.Load(c + n));
            }
            TWidth.Store(low, c);
            TWidth.Store(high, c + n);
            return;
        }
        WriteTail(c, result, validColumns, output);
    }

    /// <summary>The last panel of a matrix whose row count is not a multiple of the panel width: element by element.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void WriteTail(float* c, float* result, int validColumns, GemmOutput output)
    {
        for (var i = 0; i < validColumns; i++)
        {
            c[i] = output == GemmOutput.Add ? c[i] + result[i] : result[i];
        }
    }
}
