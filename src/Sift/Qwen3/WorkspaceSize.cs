using Sift.Kernels;

namespace Sift.Qwen3;

/// <summary>
/// Floats each buffer of <see cref="ForwardWorkspace"/> holds for one forward pass: the one rule
/// that both reserves the buffers and predicts their memory (the memory budget sizes batches by it).
/// </summary>
public readonly record struct WorkspaceSize(long Residual, long KeyValues, long Normalized, long Qkv, long Attended, long Activated, long LastQueries)
{
    /// <summary>Bytes of all buffers together.</summary>
    public long Bytes => sizeof(float) * (Residual + KeyValues + Normalized + Qkv + Attended + Activated + LastQueries);

    /// <summary>
    /// The sizes for a pass over <paramref name="tokens"/> tokens in <paramref name="sequences"/>
    /// sequences, projected <paramref name="chunk"/> tokens at a time, whose attention reads
    /// <paramref name="keyValueRows"/> key/value rows (each sequence's shared prefix copy included).
    /// </summary>
    public static WorkspaceSize For(Qwen3Config config, int tokens, int chunk, long keyValueRows, int sequences)
    {
        ArgumentNullException.ThrowIfNull(config);
        var layout = new AttentionLayout(config.HeadCount, config.KeyValueHeadCount, config.HeadDim);
        var rows = Math.Max(chunk, sequences);
        return new WorkspaceSize(
            (long)tokens * config.HiddenSize,
            keyValueRows * 2 * layout.KeyValueWidth,
            (long)rows * config.HiddenSize,
            (long)chunk * layout.QkvWidth,
            (long)rows * layout.QueryWidth,
            (long)rows * config.IntermediateSize,
            (long)sequences * layout.QueryWidth);
    }

    /// <summary>
    /// The most a model's workspace ever holds when no pass exceeds <paramref name="maxTokens"/>
    /// tokens, sequences or key/value rows (the buffers only grow, each to its own largest size).
    /// </summary>
    public static WorkspaceSize Largest(Qwen3Config config, int maxTokens) =>
        For(config, maxTokens, Math.Min(maxTokens, Qwen3Model.ChunkTokens), maxTokens, maxTokens);
}
