using Sift.Kernels;

namespace Sift.Qwen3;

/// <summary>Activation buffers of a forward pass, grown to the largest batch seen and reused.</summary>
internal sealed class ForwardWorkspace : IDisposable
{
    /// <summary>The residual stream [tokens × hidden].</summary>
    public NativeBuffer<float> Residual { get; } = new();

    /// <summary>RMS-normalized residual rows, the input of a projection.</summary>
    public NativeBuffer<float> Normalized { get; } = new();

    /// <summary>q, k and v of each token side by side.</summary>
    public NativeBuffer<float> Qkv { get; } = new();

    /// <summary>Attention output before o_proj.</summary>
    public NativeBuffer<float> Attended { get; } = new();

    /// <summary>silu(gate)·up, the MLP's inner activation.</summary>
    public NativeBuffer<float> Activated { get; } = new();

    /// <summary>RoPE cosines, one row of head_dim/2 per token.</summary>
    public NativeBuffer<float> Cos { get; } = new();

    /// <summary>RoPE sines, one row of head_dim/2 per token.</summary>
    public NativeBuffer<float> Sin { get; } = new();

    public void Reserve(Qwen3Config config, int tokens)
    {
        var layout = new AttentionLayout(config.HeadCount, config.KeyValueHeadCount, config.HeadDim);
        Residual.EnsureCapacity((long)tokens * config.HiddenSize);
        Normalized.EnsureCapacity((long)tokens * config.HiddenSize);
        Qkv.EnsureCapacity((long)tokens * layout.QkvWidth);
        Attended.EnsureCapacity((long)tokens * layout.QueryWidth);
        Activated.EnsureCapacity((long)tokens * config.IntermediateSize);
        Cos.EnsureCapacity((long)tokens * config.HeadDim / 2);
        Sin.EnsureCapacity((long)tokens * config.HeadDim / 2);
    }

    public void Dispose()
    {
        Residual.Dispose();
        Normalized.Dispose();
        Qkv.Dispose();
        Attended.Dispose();
        Activated.Dispose();
        Cos.Dispose();
        Sin.Dispose();
    }
}
