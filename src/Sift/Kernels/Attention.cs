using System.Numerics.Tensors;

namespace Sift.Kernels;

/// <summary>
/// Causal grouped-query attention over packed variable-length sequences (block-diagonal: a token
/// sees only earlier tokens of its own sequence). Keys are visited in tiles of
/// <see cref="KeyTile"/> counted from the sequence's first position, with an online softmax, so
/// memory stays O(tokens × head_dim) and a row's arithmetic depends only on its own sequence.
/// </summary>
public static unsafe class Attention
{
    /// <summary>Keys per softmax tile: scores for one tile fit in 4 zmm registers' worth of stack.</summary>
    public const int KeyTile = 64;

    /// <summary>Query rows per work item, so long sequences spread over all threads.</summary>
    private const int QueryBlock = 64;

    /// <summary>Runs attention for every sequence of a packed batch.</summary>
    /// <param name="layout">Head counts and width.</param>
    /// <param name="qkv">Per token: q heads, then k heads, then v heads.</param>
    /// <param name="qkvStride">Floats between tokens in <paramref name="qkv"/>.</param>
    /// <param name="sequenceStarts">Token offset of each sequence, plus the total at the end.</param>
    /// <param name="lastTokenOnly">Compute only each sequence's last row (all that pooling needs).</param>
    /// <param name="output">Per computed row: q heads × head_dim; rows are the tokens, or the sequences when <paramref name="lastTokenOnly"/>.</param>
    /// <param name="outputStride">Floats between output rows.</param>
    /// <param name="pool">The threads to use.</param>
    public static void Run(AttentionLayout layout, ReadOnlySpan<float> qkv, int qkvStride, ReadOnlySpan<int> sequenceStarts,
        bool lastTokenOnly, Span<float> output, int outputStride, WorkerPool pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        var sequences = sequenceStarts.Length - 1;
        if (sequences <= 0)
        {
            return;
        }
        var tokens = sequenceStarts[^1];
        if (qkvStride < layout.QkvWidth || (long)tokens * qkvStride > qkv.Length + (qkvStride - layout.QkvWidth))
        {
            throw new ArgumentException($"qkv holds {qkv.Length} floats, too few for {tokens} tokens of {layout.QkvWidth}", nameof(qkv));
        }
        var rows = lastTokenOnly ? sequences : tokens;
        if (outputStride < layout.QueryWidth || (long)(rows - 1) * outputStride + layout.QueryWidth > output.Length)
        {
            throw new ArgumentException($"output holds {output.Length} floats, too few for {rows} rows of {layout.QueryWidth}", nameof(output));
        }

        var items = new List<(int Sequence, int Head, int FirstQuery, int EndQuery)>();
        for (var s = 0; s < sequences; s++)
        {
            var length = sequenceStarts[s + 1] - sequenceStarts[s];
            if (length <= 0)
            {
                throw new ArgumentException($"sequence {s} is empty", nameof(sequenceStarts));
            }
            for (var h = 0; h < layout.HeadCount; h++)
            {
                if (lastTokenOnly)
                {
                    items.Add((s, h, length - 1, length));
                    continue;
                }
                for (var q = 0; q < length; q += QueryBlock)
                {
                    items.Add((s, h, q, Math.Min(length, q + QueryBlock)));
                }
            }
        }

        fixed (float* qkvPointer = qkv)
        fixed (float* outputPointer = output)
        fixed (int* startsPointer = sequenceStarts)
        {
            var body = new Body(layout, qkvPointer, qkvStride, startsPointer, lastTokenOnly, outputPointer, outputStride, items);
            pool.For(items.Count, ref body);
        }
    }

    private readonly struct Body(
        AttentionLayout layout, float* qkv, int qkvStride, int* starts, bool lastTokenOnly, float* output, int outputStride,
        List<(int Sequence, int Head, int FirstQuery, int EndQuery)> items) : IParallelBody
    {
        public void Execute(int index, int worker)
        {
            var (sequence, head, firstQuery, endQuery) = items[index];
            var start = starts[sequence];
            var headDim = layout.HeadDim;
            var kvHead = head / layout.GroupSize;
            var keys = qkv + (long)start * qkvStride + layout.QueryWidth + kvHead * headDim;
            var values = keys + layout.KeyValueHeadCount * headDim;
            var scale = (float)(1.0 / Math.Sqrt(headDim));
            Span<float> scores = stackalloc float[KeyTile];
            for (var q = firstQuery; q < endQuery; q++)
            {
                var query = new ReadOnlySpan<float>(qkv + (long)(start + q) * qkvStride + head * headDim, headDim);
                var outputRow = lastTokenOnly ? sequence : start + q;
                var result = new Span<float>(output + (long)outputRow * outputStride + head * headDim, headDim);
                AttendOneQuery(query, keys, values, qkvStride, q + 1, scale, scores, result);
            }
        }
    }

    /// <summary>Softmax-weighted sum of the first <paramref name="keyCount"/> values for one query.</summary>
    private static void AttendOneQuery(ReadOnlySpan<float> query, float* keys, float* values, int stride, int keyCount,
        float scale, Span<float> scores, Span<float> result)
    {
        var headDim = query.Length;
        var runningMax = float.NegativeInfinity;
        var runningSum = 0f;
        result.Clear();
        for (var tileStart = 0; tileStart < keyCount; tileStart += KeyTile)
        {
            var count = Math.Min(KeyTile, keyCount - tileStart);
            var tile = scores[..count];
            for (var j = 0; j < count; j++)
            {
                var key = new ReadOnlySpan<float>(keys + (long)(tileStart + j) * stride, headDim);
                tile[j] = TensorPrimitives.Dot(query, key) * scale;
            }
            var newMax = Math.Max(runningMax, TensorPrimitives.Max(tile));
            var correction = MathF.Exp(runningMax - newMax);
            TensorPrimitives.Subtract(tile, newMax, tile);
            TensorPrimitives.Exp(tile, tile);
            runningSum = runningSum * correction + TensorPrimitives.Sum(tile);
            TensorPrimitives.Multiply(result, correction, result);
            for (var j = 0; j < count; j++)
            {
                var value = new ReadOnlySpan<float>(values + (long)(tileStart + j) * stride, headDim);
                TensorPrimitives.MultiplyAdd(value, tile[j], result, result);
            }
            runningMax = newMax;
        }
        TensorPrimitives.Multiply(result, 1f / runningSum, result);
    }
}
