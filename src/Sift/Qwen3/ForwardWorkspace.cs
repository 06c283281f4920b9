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

    /// <summary>Keys then values of every token of the batch, each once (a shared prefix's too): [tokens × 2·kv width].</summary>
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

    /// <summary>Bytes held by the buffers now.</summary>
    public long ReservedBytes => (Residual.Capacity + KeyValues.Capacity + Normalized.Capacity + Qkv.Capacity + Attended.Capacity + Activated.Capacity
        + LastQueries.Capacity) * sizeof(float) + (long)Sequences.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<AttentionSequence>();

    public void Reserve(Qwen3Config config, int tokens, int chunk, int sequences)
    {
        var sizes = new Sizes(config, tokens, chunk, sequences);
        Residual.EnsureCapacity(sizes.Residual);
        KeyValues.EnsureCapacity(sizes.KeyValues);
        Normalized.EnsureCapacity(sizes.Normalized);
        Qkv.EnsureCapacity(sizes.Qkv);
        Attended.EnsureCapacity(sizes.Attended);
        Activated.EnsureCapacity(sizes.Activated);
        LastQueries.EnsureCapacity(sizes.LastQueries);
        if (Sequences.Length < sequences)
        {
            Sequences = new AttentionSequence[sequences];
        }
    }

    /// <summary>Bytes <see cref="Reserve"/> allocates for a batch of this shape.</summary>
    public static long Bytes(Qwen3Config config, int tokens, int chunk, int sequences)
    {
        var sizes = new Sizes(config, tokens, chunk, sequences);
        var floats = sizes.Residual + sizes.KeyValues + sizes.Normalized + sizes.Qkv + sizes.Attended + sizes.Activated + sizes.LastQueries;
        return floats * sizeof(float) + (long)sequences * System.Runtime.CompilerServices.Unsafe.SizeOf<AttentionSequence>();
    }

    /// <summary>Floats of each buffer for a batch of <c>tokens</c> tokens in <c>sequences</c> sequences, run <c>chunk</c> tokens at a time.</summary>
    private readonly struct Sizes(Qwen3Config config, int tokens, int chunk, int sequences)
    {
        private readonly AttentionLayout _layout = new(config.HeadCount, config.KeyValueHeadCount, config.HeadDim);

        /// <summary>Chunk buffers also hold the last layer's one row per sequence.</summary>
        private long Rows => Math.Max(chunk, sequences);

        public long Residual => (long)tokens * config.HiddenSize;
        public long KeyValues => (long)tokens * 2 * _layout.KeyValueWidth;
        public long Normalized => Rows * config.HiddenSize;
        public long Qkv => (long)chunk * _layout.QkvWidth;
        public long Attended => Rows * _layout.QueryWidth;
        public long Activated => Rows * config.IntermediateSize;
        public long LastQueries => (long)sequences * _layout.QueryWidth;
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
