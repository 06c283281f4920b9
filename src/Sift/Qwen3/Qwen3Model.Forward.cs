using Sift.Kernels;

namespace Sift.Qwen3;

public sealed partial class Qwen3Model
{
    /// <summary>
    /// Tokens per step through a layer's projections and MLP: large enough that the GEMM runs at
    /// full speed (it does from 256 rows), small enough that a 32k-token input needs only the
    /// residual stream and the keys/values at full length.
    /// </summary>
    internal const int ChunkTokens = 2048;

    /// <summary>
    /// Runs the decoder over a packed batch and writes, for each sequence, the final-normalized
    /// hidden state of its last token (row s of <paramref name="pooled"/>, hidden_size wide).
    /// </summary>
    public void Forward(PackedBatch batch, Span<float> pooled) => Forward(batch, null, pooled);

    /// <summary>
    /// As <see cref="Forward(PackedBatch, Span{float})"/>, with every sequence continuing
    /// <paramref name="prefix"/>: positions start after it and attention sees its keys and values.
    /// </summary>
    public void Forward(PackedBatch batch, PrefixState? prefix, Span<float> pooled)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var h = Config.HiddenSize;
        if (pooled.Length < batch.SequenceCount * h)
        {
            throw new ArgumentException($"pooled holds {pooled.Length} floats; {batch.SequenceCount} sequences need {batch.SequenceCount * h}", nameof(pooled));
        }
        Validate(batch, prefix?.Length ?? 0);
        lock (_forwardLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            RunLayers(batch, prefix, capture: null);
            var last = _workspace.Residual.AsSpan(batch.SequenceCount * h);
            RmsNorm.ApplyRows(last, h, _finalNorm, pooled, h, batch.SequenceCount, (float)Config.RmsNormEps);
        }
    }

    /// <summary>Runs a prefix once and keeps every layer's keys and values for <see cref="Forward(PackedBatch, PrefixState?, Span{float})"/>.</summary>
    public PrefixState ComputePrefix(IReadOnlyList<int> tokenIds)
    {
        ArgumentNullException.ThrowIfNull(tokenIds);
        var batch = PackedBatch.Create([tokenIds]);
        Validate(batch, 0);
        var state = new PrefixState(tokenIds.ToArray(),
            Enumerable.Range(0, _layers.Length).Select(_ => new float[tokenIds.Count * 2 * Layout.KeyValueWidth]).ToArray());
        lock (_forwardLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            RunLayers(batch, null, state);
        }
        return state;
    }

    private void Validate(PackedBatch batch, int context)
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
            var length = context + batch.SequenceStarts[s + 1] - batch.SequenceStarts[s];
            if (length > Config.MaxPositionEmbeddings)
            {
                throw new ArgumentOutOfRangeException(nameof(batch), length,
                    $"sequence {s} has {length} tokens; the model's limit is {Config.MaxPositionEmbeddings}");
            }
        }
    }

    /// <summary>
    /// Leaves each sequence's last-token residual row (before the final norm) in Residual[0..S).
    /// With <paramref name="capture"/>, stores every layer's keys and values there instead.
    /// </summary>
    private void RunLayers(PackedBatch batch, PrefixState? prefix, PrefixState? capture)
    {
        var tokens = batch.TokenCount;
        var sequences = batch.SequenceCount;
        var context = prefix?.Length ?? 0;
        var h = Config.HiddenSize;
        var layout = Layout;
        var chunk = Math.Min(tokens, ChunkTokens);
        var keyValueRows = (long)sequences * context + tokens;
        _workspace.Reserve(Config, tokens, chunk, keyValueRows, sequences);
        var x = _workspace.Residual.AsSpan(tokens * h);
        var keyValues = _workspace.KeyValues.AsSpan(checked((int)(keyValueRows * 2 * layout.KeyValueWidth)));
        var longest = 0;
        for (var t = 0; t < tokens; t++)
        {
            WeightReader.ReadRow(_embedding, batch.TokenIds[t], x.Slice(t * h, h));
            longest = Math.Max(longest, batch.Positions[t] + 1);
        }
        _rotary.Ensure(context + longest);

        for (var l = 0; l < _layers.Length; l++)
        {
            var layer = _layers[l];
            var lastLayer = l == _layers.Length - 1;
            if (prefix is not null)
            {
                var cache = new KeyValueLayout(layout, context);
                var buffer = new KeyValueLayout(layout, (int)keyValueRows);
                for (var s = 0; s < sequences; s++)
                {
                    for (var g = 0; g < layout.KeyValueHeadCount; g++)
                    {
                        prefix.KeyValues[l].AsSpan(cache.Key(g, 0), context * layout.HeadDim).CopyTo(keyValues.Slice(buffer.Key(g, KeyRow(batch, s, context))));
                        prefix.KeyValues[l].AsSpan(cache.Value(g, 0), context * layout.HeadDim).CopyTo(keyValues.Slice(buffer.Value(g, KeyRow(batch, s, context))));
                    }
                }
            }
            for (var start = 0; start < tokens; start += chunk)
            {
                var rows = Math.Min(chunk, tokens - start);
                ProjectKeysValuesAndQueries(layer, batch, context, start, rows, keyValues, capture?.KeyValues[l], lastLayer);
                if (lastLayer)
                {
                    continue;
                }
                AttendChunk(batch, context, start, rows, keyValues);
                FinishLayerRows(layer, x.Slice(start * h, rows * h), rows, _workspace.Attended.AsSpan(rows * layout.QueryWidth));
            }
        }
        if (capture is not null)
        {
            return;
        }

        // Last layer: attention, o_proj and MLP only for the tokens pooling reads.
        var sequenceSpans = _workspace.Sequences.AsSpan(0, sequences);
        for (var s = 0; s < sequences; s++)
        {
            var length = batch.SequenceStarts[s + 1] - batch.SequenceStarts[s];
            sequenceSpans[s] = new AttentionSequence(s, 1, context + length - 1, KeyRow(batch, s, context), s);
            x.Slice((batch.SequenceStarts[s + 1] - 1) * h, h).CopyTo(x.Slice(s * h, h));
        }
        var attended = _workspace.Attended.AsSpan(sequences * layout.QueryWidth);
        var kv = new KeyValueLayout(layout, (int)keyValueRows);
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

    /// <summary>Row of position 0 of sequence <paramref name="s"/> in the key/value buffer: each sequence holds the prefix, then its own tokens.</summary>
    private static int KeyRow(PackedBatch batch, int s, int context) => s * context + batch.SequenceStarts[s];

    /// <summary>
    /// q, k, v for tokens [start, start + rows): RMSNorm, one GEMM, q/k norm and RoPE; keys and
    /// values go to the batch-wide buffer. In the last layer, the queries of last tokens are kept.
    /// </summary>
    private void ProjectKeysValuesAndQueries(Qwen3Layer layer, PackedBatch batch, int context, int start, int rows,
        Span<float> keyValues, float[]? capture, bool lastLayer)
    {
        var h = Config.HiddenSize;
        var layout = Layout;
        var d = layout.HeadDim;
        var buffer = new KeyValueLayout(layout, keyValues.Length / (2 * layout.KeyValueWidth));
        var cache = new KeyValueLayout(layout, capture is null ? 0 : capture.Length / (2 * layout.KeyValueWidth));
        var normalized = _workspace.Normalized.AsSpan(rows * h);
        var qkv = _workspace.Qkv.AsSpan(rows * layout.QkvWidth);
        RmsNorm.ApplyRows(_workspace.Residual.AsSpan(batch.TokenCount * h).Slice(start * h), h, layer.AttentionNorm, normalized, h, rows, (float)Config.RmsNormEps);
        Gemm.Multiply(normalized, rows, h, layer.Qkv, qkv, layout.QkvWidth, GemmOutput.Store, _pool);
        NormalizeAndRotate(layer, qkv, rows, batch.Positions.AsSpan(start, rows), context);

        var s = SequenceOf(batch, start);
        for (var t = start; t < start + rows; t++)
        {
            while (t >= batch.SequenceStarts[s + 1])
            {
                s++;
            }
            var row = qkv.Slice((t - start) * layout.QkvWidth, layout.QkvWidth);
            var keyRow = KeyRow(batch, s, context) + context + (t - batch.SequenceStarts[s]);
            for (var g = 0; g < layout.KeyValueHeadCount; g++)
            {
                var key = row.Slice(layout.QueryWidth + g * d, d);
                var value = row.Slice(layout.QueryWidth + layout.KeyValueWidth + g * d, d);
                key.CopyTo(keyValues.Slice(buffer.Key(g, keyRow), d));
                value.CopyTo(keyValues.Slice(buffer.Value(g, keyRow), d));
                if (capture is not null)
                {
                    key.CopyTo(capture.AsSpan(cache.Key(g, t), d));
                    value.CopyTo(capture.AsSpan(cache.Value(g, t), d));
                }
            }
            if (lastLayer && t == batch.SequenceStarts[s + 1] - 1)
            {
                row[..layout.QueryWidth].CopyTo(_workspace.LastQueries.AsSpan(batch.SequenceCount * layout.QueryWidth).Slice(s * layout.QueryWidth));
            }
        }
    }

    /// <summary>Attention for the queries of tokens [start, start + rows), into Attended.</summary>
    private void AttendChunk(PackedBatch batch, int context, int start, int rows, Span<float> keyValues)
    {
        var layout = Layout;
        var descriptors = _workspace.Sequences;
        var count = 0;
        for (var s = SequenceOf(batch, start); s < batch.SequenceCount && batch.SequenceStarts[s] < start + rows; s++)
        {
            var first = Math.Max(start, batch.SequenceStarts[s]);
            var end = Math.Min(start + rows, batch.SequenceStarts[s + 1]);
            descriptors[count++] = new AttentionSequence(first - start, end - first, context + first - batch.SequenceStarts[s],
                KeyRow(batch, s, context), first - start);
        }
        var kv = new KeyValueLayout(layout, keyValues.Length / (2 * layout.KeyValueWidth));
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

    /// <summary>Per-head RMSNorm of queries and keys (q_norm, k_norm), then RoPE at each token's position (after <paramref name="context"/> prefix tokens).</summary>
    private void NormalizeAndRotate(Qwen3Layer layer, Span<float> qkv, int tokens, ReadOnlySpan<int> positions, int context)
    {
        var layout = Layout;
        var d = layout.HeadDim;
        var eps = (float)Config.RmsNormEps;
        for (var t = 0; t < tokens; t++)
        {
            var row = qkv.Slice(t * layout.QkvWidth, layout.QkvWidth);
            var cosRow = _rotary.Cos(context + positions[t]);
            var sinRow = _rotary.Sin(context + positions[t]);
            for (var head = 0; head < layout.HeadCount + layout.KeyValueHeadCount; head++)
            {
                var vector = row.Slice(head * d, d);
                RmsNorm.Apply(vector, head < layout.HeadCount ? layer.QueryNorm : layer.KeyNorm, vector, eps);
                Rope.Apply(vector, cosRow, sinRow);
            }
        }
    }
}
