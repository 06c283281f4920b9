using Sift.Kernels;

namespace Sift.Qwen3;

/// <summary>The weights of one decoder layer, packed for the kernels.</summary>
internal sealed class Qwen3Layer(
    float[] attentionNorm, float[] queryNorm, float[] keyNorm, float[] mlpNorm,
    PackedMatrix qkv, PackedMatrix output, PackedMatrix gateUp, PackedMatrix down) : IDisposable
{
    public float[] AttentionNorm { get; } = attentionNorm;

    public float[] QueryNorm { get; } = queryNorm;

    public float[] KeyNorm { get; } = keyNorm;

    public float[] MlpNorm { get; } = mlpNorm;

    /// <summary>q_proj, k_proj and v_proj stacked: one GEMM yields q, k and v of a token side by side.</summary>
    public PackedMatrix Qkv { get; } = qkv;

    public PackedMatrix Output { get; } = output;

    /// <summary>gate_proj and up_proj interleaved 16 rows at a time, for the GEMM's SwiGLU output.</summary>
    public PackedMatrix GateUp { get; } = gateUp;

    public PackedMatrix Down { get; } = down;

    public long PackedBytes => Qkv.ByteLength + Output.ByteLength + GateUp.ByteLength + Down.ByteLength;

    public void Dispose()
    {
        Qkv.Dispose();
        Output.Dispose();
        GateUp.Dispose();
        Down.Dispose();
    }
}
