using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Sift.Kernels.Vectors;

namespace Sift.Kernels;

/// <summary>
/// Causal grouped-query attention over packed variable-length sequences, flash-attention style:
/// a block of (query, head) columns is transposed once, then key tiles of <see cref="KeyTile"/>
/// positions stream past it. Scores (Kᵀ-major) and the value update both run on the GEMM
/// micro-kernel; the softmax is online, so memory stays O(tokens × head_dim) and no score matrix
/// larger than one tile ever exists. The tile loop, softmax and output update are generic over
/// the register width of the process's <see cref="KernelPath"/>; a block is two vectors of columns.
/// </summary>
/// <remarks>
/// A query's result depends only on its own sequence: key tiles are counted from position 0 of
/// the sequence, every score is one FMA chain over head_dim, and masked keys add exact zeros. So
/// a query gives the same bits alone, in any block, in any batch, and after a shared prefix.
/// </remarks>
public static unsafe class Attention
{
    /// <summary>Keys per online-softmax step.</summary>
    public const int KeyTile = 64;

    /// <summary>(query, head) columns per block: one micro-kernel strip, two vectors (32 on AVX-512, 16 on AVX2, 8 on 128-bit paths).</summary>
    private static int BlockColumns => KernelPath.PanelWidth;

    /// <summary>
    /// Query blocks per work item. They share each key/value tile while it is in cache; 4 blocks
    /// keep their state (4 × 33 KB at head_dim 128 on AVX-512) plus a tile well inside a 1 MB L2.
    /// </summary>
    private const int BlocksPerItem = 4;

    /// <summary>Above this many sequences the item table goes to the heap instead of the stack.</summary>
    private const int StackSequenceLimit = 1024;

    /// <summary>Runs attention for each sequence's queries.</summary>
    /// <param name="layout">Head counts and width.</param>
    /// <param name="queries">Query rows: all query heads of a token side by side.</param>
    /// <param name="queryStride">Floats between query rows.</param>
    /// <param name="keys">Keys: head g of row r at g·<paramref name="keyValueHeadStride"/> + r·<paramref name="keyValueStride"/>.</param>
    /// <param name="values">Values, laid out as the keys.</param>
    /// <param name="keyValueStride">Floats between key (and value) rows.</param>
    /// <param name="keyValueHeadStride">Floats between key (and value) heads: head_dim when heads sit side by side in a row,
    /// rows × head_dim when each head's keys are contiguous (as the model stores them).</param>
    /// <param name="sequences">Where each sequence's queries, keys and outputs are.</param>
    /// <param name="output">Output rows: query heads side by side.</param>
    /// <param name="outputStride">Floats between output rows.</param>
    /// <param name="pool">The threads to use.</param>
    public static void Run(AttentionLayout layout, ReadOnlySpan<float> queries, int queryStride, ReadOnlySpan<float> keys,
        ReadOnlySpan<float> values, int keyValueStride, int keyValueHeadStride, ReadOnlySpan<AttentionSequence> sequences, Span<float> output,
        int outputStride, WorkerPool pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        Validate(layout, queries.Length, queryStride, keys.Length, values.Length, keyValueStride, keyValueHeadStride, sequences, output.Length, outputStride);
        if (sequences.IsEmpty)
        {
            return;
        }
        if (layout.GroupSize > BlockColumns)
        {
            RunSubGroups(layout, queries, queryStride, keys, values, keyValueStride, keyValueHeadStride, sequences, output, outputStride, pool);
            return;
        }
        var queriesPerBlock = BlockColumns / layout.GroupSize;

        var count = sequences.Length;
        int[]? rented = null;
        var firstItem = count < StackSequenceLimit ? stackalloc int[count + 1] : (rented = System.Buffers.ArrayPool<int>.Shared.Rent(count + 1));
        try
        {
            firstItem[0] = 0;
            for (var s = 0; s < count; s++)
            {
                var blocks = (sequences[s].QueryCount + queriesPerBlock - 1) / queriesPerBlock;
                firstItem[s + 1] = firstItem[s] + (blocks + BlocksPerItem - 1) / BlocksPerItem * layout.KeyValueHeadCount;
            }
            fixed (float* q = queries)
            fixed (float* k = keys)
            fixed (float* v = values)
            fixed (float* o = output)
            fixed (AttentionSequence* seq = sequences)
            fixed (int* items = firstItem)
            {
                if (KernelPath.Uses512)
                {
                    var body = new Body<Width512, Vector512<float>>(layout, q, queryStride, k, v, keyValueStride, keyValueHeadStride, seq, count, items, o, outputStride, pool);
                    pool.For(firstItem[count], ref body);
                }
                else if (KernelPath.Uses256)
                {
                    var body = new Body<Width256, Vector256<float>>(layout, q, queryStride, k, v, keyValueStride, keyValueHeadStride, seq, count, items, o, outputStride, pool);
                    pool.For(firstItem[count], ref body);
                }
                else
                {
                    var body = new Body<Width128, Vector128<float>>(layout, q, queryStride, k, v, keyValueStride, keyValueHeadStride, seq, count, items, o, outputStride, pool);
                    pool.For(firstItem[count], ref body);
                }
            }
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<int>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// A group larger than a block's columns (more query heads per key/value head than the path's panel
    /// width: 8 on 128-bit paths, 16 on AVX2, 32 on AVX-512; no Qwen3 size has more than 4) as sub-groups
    /// of at most that many query heads, each a call with one key/value head: the same keys and values,
    /// its query heads side by side in the same rows. Each query head's arithmetic is what it would be in
    /// a wider block (a block's columns do not mix).
    /// </summary>
    private static void RunSubGroups(AttentionLayout layout, ReadOnlySpan<float> queries, int queryStride, ReadOnlySpan<float> keys,
        ReadOnlySpan<float> values, int keyValueStride, int keyValueHeadStride, ReadOnlySpan<AttentionSequence> sequences, Span<float> output,
        int outputStride, WorkerPool pool)
    {
        var group = layout.GroupSize;
        for (var keyValueHead = 0; keyValueHead < layout.KeyValueHeadCount; keyValueHead++)
        {
            var keyValueOffset = keyValueHead * keyValueHeadStride;
            for (var first = 0; first < group; first += BlockColumns)
            {
                var heads = Math.Min(BlockColumns, group - first);
                var offset = (keyValueHead * group + first) * layout.HeadDim;
                Run(new AttentionLayout(heads, 1, layout.HeadDim), queries[offset..], queryStride, keys[keyValueOffset..], values[keyValueOffset..],
                    keyValueStride, keyValueHeadStride, sequences, output[offset..], outputStride, pool);
            }
        }
    }

    private static void Validate(AttentionLayout layout, int queryLength, int queryStride, int keyLength, int valueLength, int keyValueStride,
        int keyValueHeadStride, ReadOnlySpan<AttentionSequence> sequences, int outputLength, int outputStride)
    {
        if (layout.KeyValueHeadCount < 1 || layout.HeadCount % layout.KeyValueHeadCount != 0)
        {
            throw new ArgumentException($"{layout.HeadCount} query heads are not whole groups of {layout.KeyValueHeadCount} key/value heads", nameof(layout));
        }
        if (queryStride < layout.QueryWidth || keyValueStride < 1 || keyValueHeadStride < 1 || outputStride < layout.QueryWidth)
        {
            throw new ArgumentException($"strides (queries {queryStride}, keys/values {keyValueStride} and {keyValueHeadStride}, output {outputStride}) do not fit the heads");
        }
        for (var s = 0; s < sequences.Length; s++)
        {
            var sequence = sequences[s];
            if (sequence.QueryCount < 1 || sequence.FirstQueryPosition < 0 || sequence.QueryRow < 0 || sequence.KeyRow < 0 || sequence.OutputRow < 0
                || sequence.SharedLength < 0 || sequence.SharedKeyRow < 0)
            {
                throw new ArgumentException($"sequence {s} is malformed: {sequence}");
            }
            var lastPosition = (long)sequence.FirstQueryPosition + sequence.QueryCount - 1;
            var lastOwnRow = lastPosition >= sequence.SharedLength ? sequence.KeyRow + lastPosition - sequence.SharedLength : 0;
            var lastSharedRow = sequence.SharedLength > 0 ? sequence.SharedKeyRow + Math.Min(sequence.SharedLength - 1, lastPosition) : 0;
            var lastKeyRow = Math.Max(lastOwnRow, lastSharedRow);
            if ((long)(sequence.QueryRow + sequence.QueryCount - 1) * queryStride + layout.QueryWidth > queryLength
                || lastKeyRow * keyValueStride + (long)(layout.KeyValueHeadCount - 1) * keyValueHeadStride + layout.HeadDim > Math.Min(keyLength, valueLength)
                || (long)(sequence.OutputRow + sequence.QueryCount - 1) * outputStride + layout.QueryWidth > outputLength)
            {
                throw new ArgumentException($"sequence {s} ({sequence}) reaches past the query, key/value or output buffer");
            }
        }
    }

    private readonly struct Body<TWidth, TVector>(
        AttentionLayout layout, float* queries, int queryStride, float* keys, float* values, int keyValueStride, int keyValueHeadStride,
        AttentionSequence* sequences, int sequenceCount, int* firstItem, float* output, int outputStride, WorkerPool pool) : IParallelBody
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
    {
        public void Execute(int index, int worker)
        {
            var s = FindSequence(index);
            var within = index - firstItem[s];
            var kvHead = within % layout.KeyValueHeadCount;
            var group = within / layout.KeyValueHeadCount;
            var sequence = sequences[s];
            var queriesPerBlock = BlockColumns / layout.GroupSize;
            var blocks = (sequence.QueryCount + queriesPerBlock - 1) / queriesPerBlock;
            var firstBlock = group * BlocksPerItem;
            var blockCount = Math.Min(BlocksPerItem, blocks - firstBlock);
            var scratch = (float*)pool.Scratch(worker, BlockState.Bytes(layout.HeadDim) * BlocksPerItem + TileScratch.Bytes(TWidth.TileRows) + GatheredTile.Bytes(layout.HeadDim));
            RunBlocks(sequence, kvHead, firstBlock, blockCount, scratch);
        }

        private int FindSequence(int item)
        {
            int low = 0, high = sequenceCount - 1;
            while (low < high)
            {
                var middle = (low + high + 1) / 2;
                if (firstItem[middle] <= item)
                {
                    low = middle;
                }
                else
                {
                    high = middle - 1;
                }
            }
            return low;
        }

        /// <summary>
        /// Several query blocks against the same key/value head: key tiles run in the outer loop, so
        /// each tile is read from memory once for all of them (one block alone re-read the whole
        /// history per 16 queries, which at 8k tokens streamed from DRAM).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void RunBlocks(AttentionSequence sequence, int kvHead, int firstBlock, int blockCount, float* scratch)
        {
            var d = layout.HeadDim;
            var group = layout.GroupSize;
            var queriesPerBlock = BlockColumns / group;
            var tile = new TileScratch(scratch);
            var states = stackalloc BlockState[BlocksPerItem];
            var lastPosition = 0;
            for (var b = 0; b < blockCount; b++)
            {
                var state = new BlockState(scratch + TileScratch.Bytes(TWidth.TileRows) / sizeof(float) + b * BlockState.Bytes(d) / sizeof(float), d);
                var firstQuery = (firstBlock + b) * queriesPerBlock;
                var queryCount = Math.Min(queriesPerBlock, sequence.QueryCount - firstQuery);
                state.Begin(firstQuery, queryCount * group, sequence.FirstQueryPosition + firstQuery, group);
                LoadQueries(sequence, kvHead, state);
                states[b] = state;
                lastPosition = Math.Max(lastPosition, state.LastPosition);
            }

            var gathered = new GatheredTile(scratch + (TileScratch.Bytes(TWidth.TileRows) + BlockState.Bytes(d) * BlocksPerItem) / sizeof(float), d);
            for (var tileStart = 0; tileStart <= lastPosition; tileStart += KeyTile)
            {
                var tileKeys = KeyValueTile(sequence, kvHead, tileStart, Math.Min(KeyTile, lastPosition + 1 - tileStart), gathered, out var tileValues, out var stride);
                for (var b = 0; b < blockCount; b++)
                {
                    var state = states[b];
                    if (tileStart > state.LastPosition)
                    {
                        continue;
                    }
                    var rows = Math.Min(KeyTile, state.LastPosition + 1 - tileStart);
                    var tileRows = TWidth.TileRows;
                    for (var r = 0; r < rows; r += tileRows)
                    {
                        MicroKernel.Run<TWidth, TVector, F32Element>(Math.Min(tileRows, rows - r), tileKeys + (long)r * stride, stride, 1,
                            (byte*)state.QueryT, BlockColumns * sizeof(float), d, tile.Scores + r * BlockColumns);
                    }
                    Softmax<TWidth, TVector>(state, tile, tileStart, rows);

                    // Oᵀ [d × columns] = Oᵀ·correction + Vᵀ·P: rows are head dimensions, so each step broadcasts
                    // a tile's worth of consecutive values of one value row and the probabilities stay in L1.
                    var n = TWidth.Count;
                    var correctionLow = TWidth.Load(state.Correction);
                    var correctionHigh = TWidth.Load(state.Correction + n);
                    for (var c = 0; c < d; c += tileRows)
                    {
                        var dims = Math.Min(tileRows, d - c);
                        MicroKernel.Run<TWidth, TVector, F32Element>(dims, tileValues + c, 1, stride, (byte*)tile.Probabilities, BlockColumns * sizeof(float), rows,
                            tile.Accumulators);
                        for (var r = 0; r < dims; r++)
                        {
                            var target = state.OutputT + (c + r) * BlockColumns;
                            var fresh = tile.Accumulators + r * BlockColumns;
                            TWidth.Store(TWidth.FusedMultiplyAdd(TWidth.Load(target), correctionLow, TWidth.Load(fresh)), target);
                            TWidth.Store(TWidth.FusedMultiplyAdd(TWidth.Load(target + n), correctionHigh, TWidth.Load(fresh + n)), target + n);
                        }
                    }
                }
            }

            for (var b = 0; b < blockCount; b++)
            {
                StoreOutputs(sequence, kvHead, states[b]);
            }
        }

        /// <summary>
        /// The keys (returned), values and row stride of positions [tileStart, tileStart + rows) of one
        /// head: read in place when they all lie in the shared prefix or all in the sequence's own
        /// rows; copied into <paramref name="gathered"/> when the tile straddles the two, so that tiles
        /// stay counted from position 0 (and results bitwise the same) wherever the prefix's keys are.
        /// </summary>
        private float* KeyValueTile(AttentionSequence sequence, int kvHead, int tileStart, int rows, GatheredTile gathered, out float* tileValues, out int stride)
        {
            var head = (long)kvHead * keyValueHeadStride;
            var shared = sequence.SharedLength;
            if (tileStart >= shared)
            {
                var row = (long)(sequence.KeyRow + tileStart - shared) * keyValueStride + head;
                tileValues = values + row;
                stride = keyValueStride;
                return keys + row;
            }
            if (tileStart + rows <= shared)
            {
                var row = (long)(sequence.SharedKeyRow + tileStart) * keyValueStride + head;
                tileValues = values + row;
                stride = keyValueStride;
                return keys + row;
            }
            var d = layout.HeadDim;
            for (var r = 0; r < rows; r++)
            {
                var position = tileStart + r;
                var row = (position < shared ? (long)(sequence.SharedKeyRow + position) : (long)(sequence.KeyRow + position - shared)) * keyValueStride + head;
                new ReadOnlySpan<float>(keys + row, d).CopyTo(new Span<float>(gathered.Keys + r * d, d));
                new ReadOnlySpan<float>(values + row, d).CopyTo(new Span<float>(gathered.Values + r * d, d));
            }
            tileValues = gathered.Values;
            stride = d;
            return gathered.Keys;
        }

        /// <summary>
        /// Qᵀ [d × columns] of a block, pre-scaled by 1/√d; column = query × group + head in group; padding
        /// columns zero. Four columns at a time go through a register transpose, which a scalar strided
        /// copy was several times slower than; each value gets the same single product with the scale.
        /// </summary>
        private void LoadQueries(AttentionSequence sequence, int kvHead, BlockState state)
        {
            var d = layout.HeadDim;
            var scale = (float)(1.0 / Math.Sqrt(d));
            var scales = Vector128.Create(scale);
            var columns = state.Columns;
            var quadDims = d & ~3;
            var column = 0;
            for (; column + 4 <= columns; column += 4)
            {
                var s0 = Head(queries, queryStride, sequence.QueryRow, kvHead, state, column);
                var s1 = Head(queries, queryStride, sequence.QueryRow, kvHead, state, column + 1);
                var s2 = Head(queries, queryStride, sequence.QueryRow, kvHead, state, column + 2);
                var s3 = Head(queries, queryStride, sequence.QueryRow, kvHead, state, column + 3);
                var target = state.QueryT + column;
                var c = 0;
                for (; c < quadDims; c += 4)
                {
                    var r0 = Vector128.Load(s0 + c) * scales;
                    var r1 = Vector128.Load(s1 + c) * scales;
                    var r2 = Vector128.Load(s2 + c) * scales;
                    var r3 = Vector128.Load(s3 + c) * scales;
                    Transpose4x4.Apply(ref r0, ref r1, ref r2, ref r3);
                    r0.Store(target + c * BlockColumns);
                    r1.Store(target + (c + 1) * BlockColumns);
                    r2.Store(target + (c + 2) * BlockColumns);
                    r3.Store(target + (c + 3) * BlockColumns);
                }
                for (; c < d; c++)
                {
                    target[c * BlockColumns] = s0[c] * scale;
                    target[c * BlockColumns + 1] = s1[c] * scale;
                    target[c * BlockColumns + 2] = s2[c] * scale;
                    target[c * BlockColumns + 3] = s3[c] * scale;
                }
            }
            for (; column < columns; column++)
            {
                var source = Head(queries, queryStride, sequence.QueryRow, kvHead, state, column);
                for (var c = 0; c < d; c++)
                {
                    state.QueryT[c * BlockColumns + column] = source[c] * scale;
                }
            }
            if (columns < BlockColumns)
            {
                for (var c = 0; c < d; c++)
                {
                    new Span<float>(state.QueryT + c * BlockColumns + columns, BlockColumns - columns).Clear();
                }
            }
        }

        /// <summary>
        /// A block column's head in query or output rows (<paramref name="firstRow"/> is the sequence's first):
        /// query = column / group, head = kvHead × group + column % group.
        /// </summary>
        private float* Head(float* rows, int stride, int firstRow, int kvHead, BlockState state, int column) =>
            rows + (long)(firstRow + state.FirstQuery + column / layout.GroupSize) * stride
            + (kvHead * layout.GroupSize + column % layout.GroupSize) * layout.HeadDim;

        /// <summary>Oᵀ back to rows, each column divided by its softmax sum (times its inverse, as per value before), four columns at a time.</summary>
        private void StoreOutputs(AttentionSequence sequence, int kvHead, BlockState state)
        {
            var d = layout.HeadDim;
            var columns = state.Columns;
            var quadDims = d & ~3;
            var column = 0;
            for (; column + 4 <= columns; column += 4)
            {
                var o0 = Head(output, outputStride, sequence.OutputRow, kvHead, state, column);
                var o1 = Head(output, outputStride, sequence.OutputRow, kvHead, state, column + 1);
                var o2 = Head(output, outputStride, sequence.OutputRow, kvHead, state, column + 2);
                var o3 = Head(output, outputStride, sequence.OutputRow, kvHead, state, column + 3);
                var i0 = 1f / state.Sum[column];
                var i1 = 1f / state.Sum[column + 1];
                var i2 = 1f / state.Sum[column + 2];
                var i3 = 1f / state.Sum[column + 3];
                var v0 = Vector128.Create(i0);
                var v1 = Vector128.Create(i1);
                var v2 = Vector128.Create(i2);
                var v3 = Vector128.Create(i3);
                var source = state.OutputT + column;
                var c = 0;
                for (; c < quadDims; c += 4)
                {
                    var r0 = Vector128.Load(source + c * BlockColumns);
                    var r1 = Vector128.Load(source + (c + 1) * BlockColumns);
                    var r2 = Vector128.Load(source + (c + 2) * BlockColumns);
                    var r3 = Vector128.Load(source + (c + 3) * BlockColumns);
                    Transpose4x4.Apply(ref r0, ref r1, ref r2, ref r3);
                    (r0 * v0).Store(o0 + c);
                    (r1 * v1).Store(o1 + c);
                    (r2 * v2).Store(o2 + c);
                    (r3 * v3).Store(o3 + c);
                }
                for (; c < d; c++)
                {
                    o0[c] = source[c * BlockColumns] * i0;
                    o1[c] = source[c * BlockColumns + 1] * i1;
                    o2[c] = source[c * BlockColumns + 2] * i2;
                    o3[c] = source[c * BlockColumns + 3] * i3;
                }
            }
            for (; column < columns; column++)
            {
                var destination = Head(output, outputStride, sequence.OutputRow, kvHead, state, column);
                var inverse = 1f / state.Sum[column];
                for (var c = 0; c < d; c++)
                {
                    destination[c] = state.OutputT[c * BlockColumns + column] * inverse;
                }
            }
        }
    }

    /// <summary>
    /// One online-softmax step over a tile of scores [rows × columns]: mask keys after each column's
    /// query, update the running max, write exp(score − max) as probabilities, rescale the sum.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Softmax<TWidth, TVector>(BlockState w, TileScratch tile, int tileStart, int rows)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
    {
        var n = TWidth.Count;
        var columns = 2 * n;
        var firstPosition = w.FirstPosition;
        var negativeInfinity = TWidth.Create(float.NegativeInfinity);
        var positionLow = TWidth.Load(w.Position);
        var positionHigh = TWidth.Load(w.Position + n);
        for (var j = 0; j < rows; j++)
        {
            var key = tileStart + j;
            if (key <= firstPosition)
            {
                continue;
            }
            var keyPosition = TWidth.Create(key);
            var row = tile.Scores + j * columns;
            TWidth.Store(TWidth.ConditionalSelect(TWidth.GreaterThan(keyPosition, positionLow), negativeInfinity, TWidth.Load(row)), row);
            TWidth.Store(TWidth.ConditionalSelect(TWidth.GreaterThan(keyPosition, positionHigh), negativeInfinity, TWidth.Load(row + n)), row + n);
        }

        var maxLow = TWidth.Load(w.Max);
        var maxHigh = TWidth.Load(w.Max + n);
        var newMaxLow = maxLow;
        var newMaxHigh = maxHigh;
        for (var j = 0; j < rows; j++)
        {
            newMaxLow = TWidth.Max(newMaxLow, TWidth.Load(tile.Scores + j * columns));
            newMaxHigh = TWidth.Max(newMaxHigh, TWidth.Load(tile.Scores + j * columns + n));
        }
        var correctionLow = SimdMath.Exp<TWidth, TVector>(TWidth.Subtract(maxLow, newMaxLow));
        var correctionHigh = SimdMath.Exp<TWidth, TVector>(TWidth.Subtract(maxHigh, newMaxHigh));
        var sumLow = TWidth.Zero;
        var sumHigh = TWidth.Zero;
        for (var j = 0; j < rows; j++)
        {
            var low = SimdMath.Exp<TWidth, TVector>(TWidth.Subtract(TWidth.Load(tile.Scores + j * columns), newMaxLow));
            var high = SimdMath.Exp<TWidth, TVector>(TWidth.Subtract(TWidth.Load(tile.Scores + j * columns + n), newMaxHigh));
            TWidth.Store(low, tile.Probabilities + j * columns);
            TWidth.Store(high, tile.Probabilities + j * columns + n);
            sumLow = TWidth.Add(sumLow, low);
            sumHigh = TWidth.Add(sumHigh, high);
        }
        TWidth.Store(TWidth.FusedMultiplyAdd(TWidth.Load(w.Sum), correctionLow, sumLow), w.Sum);
        TWidth.Store(TWidth.FusedMultiplyAdd(TWidth.Load(w.Sum + n), correctionHigh, sumHigh), w.Sum + n);
        TWidth.Store(correctionLow, w.Correction);
        TWidth.Store(correctionHigh, w.Correction + n);
        TWidth.Store(newMaxLow, w.Max);
        TWidth.Store(newMaxHigh, w.Max + n);
    }

    /// <summary>Scratch shared by the blocks of one work item for the current tile: scores, probabilities, one micro-kernel result.</summary>
    private readonly struct TileScratch(float* memory)
    {
        public float* Scores { get; } = memory;
        public float* Probabilities { get; } = memory + KeyTile * BlockColumns;
        public float* Accumulators { get; } = memory + 2 * KeyTile * BlockColumns;

        public static long Bytes(int tileRows) => sizeof(float) * ((2L * KeyTile + tileRows) * BlockColumns);
    }

    /// <summary>One key tile's keys and values copied contiguously (row stride head_dim), for a tile that straddles a shared prefix's end.</summary>
    private readonly struct GatheredTile(float* memory, int headDim)
    {
        public static long Bytes(int headDim) => sizeof(float) * 2L * KeyTile * headDim;

        public float* Keys { get; } = memory;
        public float* Values { get; } = memory + KeyTile * headDim;
    }

    /// <summary>
    /// The running state of one query block: Qᵀ, Oᵀ [d × columns], and per column the max, sum,
    /// correction and position (a float, exact below 2²⁴, so that the mask compares float vectors).
    /// </summary>
    private struct BlockState
    {
        public BlockState(float* memory, int headDim)
        {
            QueryT = memory;
            OutputT = QueryT + headDim * BlockColumns;
            Max = OutputT + headDim * BlockColumns;
            Sum = Max + BlockColumns;
            Correction = Sum + BlockColumns;
            Position = Correction + BlockColumns;
        }

        public static long Bytes(int headDim) => sizeof(float) * (2L * headDim * BlockColumns + 4L * BlockColumns);

        public float* QueryT { get; }
        public float* OutputT { get; }
        public float* Max { get; }
        public float* Sum { get; }
        public float* Correction { get; }
        public float* Position { get; }
        public int FirstQuery { get; private set; }
        public int Columns { get; private set; }
        public int FirstPosition { get; private set; }
        public int LastPosition { get; private set; }

        public void Begin(int firstQuery, int columns, int firstPosition, int group)
        {
            FirstQuery = firstQuery;
            Columns = columns;
            FirstPosition = firstPosition;
            LastPosition = firstPosition + (columns - 1) / group;
            for (var column = 0; column < BlockColumns; column++)
            {
                Position[column] = column < columns ? firstPosition + column / group : float.PositiveInfinity;
                Max[column] = float.NegativeInfinity;
                Sum[column] = 0;
            }
            new Span<float>(OutputT, (int)((Max - OutputT))).Clear();
        }
    }
}
