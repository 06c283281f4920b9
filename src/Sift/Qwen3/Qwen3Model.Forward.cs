using Sift.Kernels;

namespace Sift.Qwen3;

public sealed partial class Qwen3Model
{
    /// <summary>
    /// Tokens per step through a layer's projections and MLP: large enough that the GEMM runs at
    /// full speed (it does from 256 rows), small enough that a 32k-token input needs only the
    /// residual stream and the keys/values at full length, and that a chunk's activations, residual
    /// rows and quantized copy stay in L2/L3 between one GEMM and the next (W1 int8 with 1,024 against
    /// 2,048: faster in 5 of 6 paired runs, by up to 8%; bf16 unchanged; docs/benchmarks.md).
    /// </summary>
    internal const int ChunkTokens = 1024;

    /// <summary>
    /// Runs the decoder over a packed batch and writes, for each sequence, the final-normalized
    /// hidden state of its last token (row s of <paramref name="pooled"/>, hidden_size wide). A
    /// sequence that continues a prefix in the batch gives the state the whole prefix + sequence
    /// would give alone, bitwise.
    /// </summary>
    public void Forward(PackedBatch batch, Span<float> pooled) => ForwardWithCancellation(batch, pooled, CancellationToken.None);

    /// <summary>
    /// As <see cref="Forward(PackedBatch, Span{float})"/>, checking <paramref name="cancellationToken"/>
    /// before each layer's every chunk of tokens, so that a stopping server need not wait for a whole pass. (A separate name,
    /// not an overload, so that callers of the plain pass are not asked for a token.)
    /// </summary>
    public void ForwardWithCancellation(PackedBatch batch, Span<float> pooled, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var h = Config.HiddenSize;
        if (pooled.Length < batch.SequenceCount * h)
        {
            throw new ArgumentException($"pooled holds {pooled.Length} floats; {batch.SequenceCount} sequences need {batch.SequenceCount * h}", nameof(pooled));
        }
        Validate(batch);
        lock (_forwardLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            RunLayers(batch, cancellationToken);
            var last = _workspace.Residual.AsSpan(batch.SequenceCount * h);
            RmsNorm.ApplyRows(last, h, _finalNorm, pooled, h, batch.SequenceCount, (float)Config.RmsNormEps);
        }
    }

    private static int ChunkOf(int tokens) => Math.Min(tokens, ChunkTokens);

    private void Validate(PackedBatch batch)
    {
        foreach (var id in batch.TokenIds)
        {
            if ((uint)id >= (uint)Config.VocabSize)
            {
                throw new ArgumentOutOfRangeException(nameof(batch), id, $"token id {id} is outside the vocabulary (0..{Config.VocabSize - 1})");
            }
        }
        for (var s = 0; s < batch.SequenceCount; s++)
        {
            var length = batch.ContextLength(s) + batch.Length(s);
            if (length > Config.MaxPositionEmbeddings)
            {
                throw new ArgumentOutOfRangeException(nameof(batch), length,
                    $"sequence {s} has {length} tokens; the model's limit is {Config.MaxPositionEmbeddings}");
            }
        }
    }

    /// <summary>Leaves each sequence's last-token residual row (before the final norm) in Residual[0..S).</summary>
    private void RunLayers(PackedBatch batch, CancellationToken cancellationToken)
    {
        var tokens = batch.TokenCount;
        var sequences = batch.SequenceCount;
        var h = Config.HiddenSize;
        var layout = Layout;
        var chunk = ChunkOf(tokens);
        // Key/value rows: one per token of the batch (a shared prefix is tokens of the batch, held once).
        _workspace.Reserve(Config, tokens, chunk, tokens, sequences);
        var x = _workspace.Residual.AsSpan(tokens * h);
        // Every token's keys and values once, at the token's own row: a shared prefix is read in place.
        var keyValues = _workspace.KeyValues.AsSpan(tokens * 2 * layout.KeyValueWidth);
        var longest = 0;
        for (var t = 0; t < tokens; t++)
        {
            WeightReader.ReadRow(_embedding, batch.TokenIds[t], x.Slice(t * h, h));
            longest = Math.Max(longest, batch.Positions[t] + 1);
        }
        _rotary.Ensure(longest);

        for (var l = 0; l < _layers.Length; l++)
        {
            var layer = _layers[l];
            var lastLayer = l == _layers.Length - 1;
            for (var start = 0; start < tokens; start += chunk)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var rows = Math.Min(chunk, tokens - start);
                ProjectKeysValuesAndQueries(layer, batch, start, rows, keyValues, lastLayer);
                if (lastLayer)
                {
                    continue;
                }
                AttendChunk(batch, start, rows, keyValues);
                FinishLayerRows(layer, x.Slice(start * h, rows * h), rows, _workspace.Attended.AsSpan(rows * layout.QueryWidth));
            }
        }

        // Last layer: attention, o_proj and MLP only for the tokens pooling reads.
        var sequenceSpans = _workspace.Sequences.AsSpan(0, sequences);
        for (var s = 0; s < sequences; s++)
        {
            var lastToken = batch.SequenceStarts[s + 1] - 1;
            sequenceSpans[s] = Describe(batch, s, s, 1, batch.Positions[lastToken], s);
            x.Slice(lastToken * h, h).CopyTo(x.Slice(s * h, h));
        }
        var attended = _workspace.Attended.AsSpan(sequences * layout.QueryWidth);
        var kv = new KeyValueLayout(layout, tokens);
        Attention.Run(layout, _workspace.LastQueries.AsSpan(sequences * layout.QueryWidth), layout.QueryWidth,
            keyValues, keyValues[kv.Value(0, 0)..], layout.HeadDim, kv.HeadStride, sequenceSpans, attended, layout.QueryWidth, _pool);
        for (var start = 0; start < sequences; start += chunk)
        {
            var rows = Math.Min(chunk, sequences - start);
            FinishLayerRows(_layers[^1], x.Slice(start * h, rows * h), rows, attended.Slice(start * layout.QueryWidth, rows * layout.QueryWidth));
        }
    }

    /// <summary>
    /// Keys and values stored head-major (all keys of head 0, then of head 1, ..., then the values
    /// likewise), so the keys one attention work item walks through are contiguous in memory.
    /// </summary>
    private readonly record struct KeyValueLayout(AttentionLayout Layout, int Rows)
    {
        public int HeadStride => Rows * Layout.HeadDim;

        public int Key(int head, int row) => head * HeadStride + row * Layout.HeadDim;

        public int Value(int head, int row) => (Layout.KeyValueHeadCount + head) * HeadStride + row * Layout.HeadDim;
    }

    /// <summary>
    /// Where the queries [queryRow, queryRow + count) of sequence <paramref name="s"/>, the first at
    /// <paramref name="firstPosition"/>, find their keys: the sequence's own rows, after the rows of
    /// the prefix it continues.
    /// </summary>
    private static AttentionSequence Describe(PackedBatch batch, int s, int queryRow, int count, int firstPosition, int outputRow)
    {
        var prefix = batch.Continues[s];
        return new AttentionSequence(queryRow, count, firstPosition, batch.SequenceStarts[s], outputRow)
        {
            SharedLength = batch.ContextLength(s),
            SharedKeyRow = prefix < 0 ? 0 : batch.SequenceStarts[prefix],
        };
    }

    /// <summary>
    /// q, k, v for tokens [start, start + rows): RMSNorm, one GEMM, q/k norm and RoPE; keys and
    /// values go to the batch-wide buffer. In the last layer, the queries of last tokens are kept.
    /// </summary>
    private void ProjectKeysValuesAndQueries(Qwen3Layer layer, PackedBatch batch, int start, int rows, Span<float> keyValues, bool lastLayer)
    {
        var h = Config.HiddenSize;
        var layout = Layout;
        var d = layout.HeadDim;
        var buffer = new KeyValueLayout(layout, batch.TokenCount);
        var normalized = _workspace.Normalized.AsSpan(rows * h);
        var qkv = _workspace.Qkv.AsSpan(rows * layout.QkvWidth);
        RmsNorm.ApplyRows(_workspace.Residual.AsSpan(batch.TokenCount * h).Slice(start * h), h, layer.AttentionNorm, normalized, h, rows, (float)Config.RmsNormEps);
        Gemm.Multiply(normalized, rows, h, layer.Qkv, qkv, layout.QkvWidth, GemmOutput.Store, _pool);
        NormalizeAndRotate(layer, qkv, rows, batch.Positions.AsSpan(start, rows));

        var s = SequenceOf(batch, start);
        for (var t = start; t < start + rows; t++)
        {
            while (t >= batch.SequenceStarts[s + 1])
            {
                s++;
            }
            var row = qkv.Slice((t - start) * layout.QkvWidth, layout.QkvWidth);
            for (var g = 0; g < layout.KeyValueHeadCount; g++)
            {
                row.Slice(layout.QueryWidth + g * d, d).CopyTo(keyValues.Slice(buffer.Key(g, t), d));
                row.Slice(layout.QueryWidth + layout.KeyValueWidth + g * d, d).CopyTo(keyValues.Slice(buffer.Value(g, t), d));
            }
            if (lastLayer && t == batch.SequenceStarts[s + 1] - 1)
            {
                row[..layout.QueryWidth].CopyTo(_workspace.LastQueries.AsSpan(batch.SequenceCount * layout.QueryWidth).Slice(s * layout.QueryWidth));
            }
        }
    }

    /// <summary>Attention for the queries of tokens [start, start + rows), into Attended.</summary>
    private void AttendChunk(PackedBatch batch, int start, int rows, Span<float> keyValues)
    {
        var layout = Layout;
        var descriptors = _workspace.Sequences;
        var count = 0;
        for (var s = SequenceOf(batch, start); s < batch.SequenceCount && batch.SequenceStarts[s] < start + rows; s++)
        {
            var first = Math.Max(start, batch.SequenceStarts[s]);
            var end = Math.Min(start + rows, batch.SequenceStarts[s + 1]);
            descriptors[count++] = Describe(batch, s, first - start, end - first, batch.Positions[first], first - start);
        }
        var kv = new KeyValueLayout(layout, batch.TokenCount);
        Attention.Run(layout, _workspace.Qkv.AsSpan(rows * layout.QkvWidth), layout.QkvWidth, keyValues, keyValues[kv.Value(0, 0)..],
            layout.HeadDim, kv.HeadStride, descriptors.AsSpan(0, count), _workspace.Attended.AsSpan(rows * layout.QueryWidth), layout.QueryWidth, _pool);
    }

    /// <summary>o_proj into the residual, then the MLP: x += down(silu(gate(rms(x))) · up(rms(x))).</summary>
    private void FinishLayerRows(Qwen3Layer layer, Span<float> x, int rows, ReadOnlySpan<float> attended)
    {
        var h = Config.HiddenSize;
        var f = Config.IntermediateSize;
        var normalized = _workspace.Normalized.AsSpan(rows * h);
        var activated = _workspace.Activated.AsSpan(rows * f);
        Gemm.Multiply(attended, rows, Layout.QueryWidth, layer.Output, x, h, GemmOutput.Add, _pool);
        RmsNorm.ApplyRows(x, h, layer.MlpNorm, normalized, h, rows, (float)Config.RmsNormEps);
        Gemm.Multiply(normalized, rows, h, layer.GateUp, activated, f, GemmOutput.SwiGlu, _pool);
        Gemm.Multiply(activated, rows, f, layer.Down, x, h, GemmOutput.Add, _pool);
    }

    private static int SequenceOf(PackedBatch batch, int token)
    {
        var index = Array.BinarySearch(batch.SequenceStarts, token);
        return index >= 0 ? Math.Min(index, batch.SequenceCount - 1) : ~index - 1;
    }

    /// <summary>Per-head RMSNorm of queries and keys (q_norm, k_norm), then RoPE at each token's position.</summary>
    private void NormalizeAndRotate(Qwen3Layer layer, Span<float> qkv, int tokens, ReadOnlySpan<int> positions)
    {
        var layout = Layout;
        var d = layout.HeadDim;
        var eps = (float)Config.RmsNormEps;
        for (var t = 0; t < tokens; t++)
        {
            var row = qkv.Slice(t * layout.QkvWidth, layout.QkvWidth);
            var cosRow = _rotary.Cos(positions[t]);
            var sinRow = _rotary.Sin(positions[t]);
            for (var head = 0; head < layout.HeadCount + layout.KeyValueHeadCount; head++)
            {
                var vector = row.Slice(head * d, d);
                RmsNorm.Apply(vector, head < layout.HeadCount ? layer.QueryNorm : layer.KeyNorm, vector, eps);
                Rope.Apply(vector, cosRow, sinRow);
            }
        }
    }
}
