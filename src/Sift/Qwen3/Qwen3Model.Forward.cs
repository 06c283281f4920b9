using Sift.Kernels;

namespace Sift.Qwen3;

public sealed partial class Qwen3Model
{
    /// <summary>
    /// Runs the decoder over a packed batch and writes, for each sequence, the final-normalized
    /// hidden state of its last token (row s of <paramref name="pooled"/>, hidden_size wide).
    /// </summary>
    public void Forward(PackedBatch batch, Span<float> pooled)
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
            RunLayers(batch);
            var last = _workspace.Residual.AsSpan(batch.SequenceCount * h);
            RmsNorm.ApplyRows(last, h, _finalNorm, pooled, h, batch.SequenceCount, (float)Config.RmsNormEps);
        }
    }

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
            var length = batch.SequenceStarts[s + 1] - batch.SequenceStarts[s];
            if (length > Config.MaxPositionEmbeddings)
            {
                throw new ArgumentOutOfRangeException(nameof(batch), length,
                    $"sequence {s} has {length} tokens; the model's limit is {Config.MaxPositionEmbeddings}");
            }
        }
    }

    /// <summary>Leaves the last-token residual rows of each sequence, before the final norm, in Residual[0..S).</summary>
    private void RunLayers(PackedBatch batch)
    {
        var tokens = batch.TokenCount;
        var h = Config.HiddenSize;
        var eps = (float)Config.RmsNormEps;
        var layout = Layout;
        _workspace.Reserve(Config, tokens);
        var x = _workspace.Residual.AsSpan(tokens * h);
        var normalized = _workspace.Normalized.AsSpan(tokens * h);
        var qkv = _workspace.Qkv.AsSpan(tokens * layout.QkvWidth);
        var attended = _workspace.Attended.AsSpan(tokens * layout.QueryWidth);
        var activated = _workspace.Activated.AsSpan(tokens * Config.IntermediateSize);
        var half = Config.HeadDim / 2;
        var cos = _workspace.Cos.AsSpan(tokens * half);
        var sin = _workspace.Sin.AsSpan(tokens * half);

        for (var t = 0; t < tokens; t++)
        {
            WeightReader.ReadRow(_embedding, batch.TokenIds[t], x.Slice(t * h, h));
        }
        Rope.BuildTables(batch.Positions, Config.HeadDim, Config.RopeTheta, cos, sin);

        var rows = tokens;
        for (var l = 0; l < _layers.Length; l++)
        {
            var layer = _layers[l];
            var lastLayer = l == _layers.Length - 1;

            RmsNorm.ApplyRows(x, h, layer.AttentionNorm, normalized, h, tokens, eps);
            Gemm.Multiply(normalized, tokens, h, layer.Qkv, qkv, layout.QkvWidth, GemmOutput.Store, _pool);
            NormalizeAndRotate(layer, qkv, tokens, cos, sin);
            // The last layer only needs each sequence's last token: pooling reads nothing else.
            Attention.Run(layout, qkv, layout.QkvWidth, batch.SequenceStarts, lastLayer, attended, layout.QueryWidth, _pool);
            if (lastLayer)
            {
                rows = batch.SequenceCount;
                for (var s = 0; s < rows; s++)
                {
                    x.Slice((batch.SequenceStarts[s + 1] - 1) * h, h).CopyTo(x.Slice(s * h, h));
                }
            }
            Gemm.Multiply(attended, rows, layout.QueryWidth, layer.Output, x, h, GemmOutput.Add, _pool);

            RmsNorm.ApplyRows(x, h, layer.MlpNorm, normalized, h, rows, eps);
            Gemm.Multiply(normalized, rows, h, layer.GateUp, activated, Config.IntermediateSize, GemmOutput.SwiGlu, _pool);
            Gemm.Multiply(activated, rows, Config.IntermediateSize, layer.Down, x, h, GemmOutput.Add, _pool);
        }
    }

    /// <summary>Per-head RMSNorm of queries and keys (q_norm, k_norm), then RoPE at each token's position.</summary>
    private void NormalizeAndRotate(Qwen3Layer layer, Span<float> qkv, int tokens, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        var layout = Layout;
        var d = layout.HeadDim;
        var half = d / 2;
        var eps = (float)Config.RmsNormEps;
        for (var t = 0; t < tokens; t++)
        {
            var row = qkv.Slice(t * layout.QkvWidth, layout.QkvWidth);
            var cosRow = cos.Slice(t * half, half);
            var sinRow = sin.Slice(t * half, half);
            for (var head = 0; head < layout.HeadCount + layout.KeyValueHeadCount; head++)
            {
                var vector = row.Slice(head * d, d);
                RmsNorm.Apply(vector, head < layout.HeadCount ? layer.QueryNorm : layer.KeyNorm, vector, eps);
                Rope.Apply(vector, cosRow, sinRow);
            }
        }
    }
}
