using Sift.Kernels;

namespace Sift.Qwen3;

/// <summary>
/// Activation buffers of a forward pass, grown to the largest batch seen and reused. Only the
/// residual stream and the keys/values span the whole batch; everything else is per token chunk.
/// </summary>
internal sealed class ForwardWorkspace : IDisposable
{
    /// <summary>The residual stream [tokens × hidden].</summary>
    public NativeBuffer<float> Residual { get; } = new();

    /// <summary>Keys then values of every position of every sequence (shared prefix included): [rows × 2·kv width].</summary>
    public NativeBuffer<float> KeyValues { get; } = new();

    /// <summary>RMS-normalized residual rows of one chunk, the input of a projection.</summary>
    public NativeBuffer<float> Normalized { get; } = new();

    /// <summary>q, k and v of each token of one chunk, side by side.</summary>
    public NativeBuffer<float> Qkv { get; } = new();

    /// <summary>Attention output of one chunk, before o_proj.</summary>
    public NativeBuffer<float> Attended { get; } = new();

    /// <summary>silu(gate)·up of one chunk.</summary>
    public NativeBuffer<float> Activated { get; } = new();

    /// <summary>Queries of each sequence's last token (the last layer computes only those).</summary>
    public NativeBuffer<float> LastQueries { get; } = new();

    /// <summary>Attention descriptors of one chunk.</summary>
    public AttentionSequence[] Sequences { get; private set; } = [];

    /// <summary>Bytes the buffers hold now (they only grow).</summary>
    public long Bytes => sizeof(float) * (Residual.Capacity + KeyValues.Capacity + Normalized.Capacity + Qkv.Capacity + Attended.Capacity
        + Activated.Capacity + LastQueries.Capacity);

    public void Reserve(Qwen3Config config, int tokens, int chunk, long keyValueRows, int sequences)
    {
        var size = WorkspaceSize.For(config, tokens, chunk, keyValueRows, sequences);
        Residual.EnsureCapacity(size.Residual);
        KeyValues.EnsureCapacity(size.KeyValues);
        Normalized.EnsureCapacity(size.Normalized);
        Qkv.EnsureCapacity(size.Qkv);
        Attended.EnsureCapacity(size.Attended);
        Activated.EnsureCapacity(size.Activated);
        LastQueries.EnsureCapacity(size.LastQueries);
        if (Sequences.Length < sequences)
        {
            Sequences = new AttentionSequence[sequences];
        }
    }

    public void Dispose()
    {
        Residual.Dispose();
        KeyValues.Dispose();
        Normalized.Dispose();
        Qkv.Dispose();
        Attended.Dispose();
        Activated.Dispose();
        LastQueries.Dispose();
    }
}
