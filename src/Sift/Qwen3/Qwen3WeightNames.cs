namespace Sift.Qwen3;

/// <summary>Hugging Face tensor names of a Qwen3 checkpoint, without the optional "model." prefix.</summary>
public static class Qwen3WeightNames
{
    /// <summary>The token embedding table [vocab, hidden].</summary>
    public const string Embedding = "embed_tokens.weight";

    /// <summary>The final RMSNorm weight.</summary>
    public const string FinalNorm = "norm.weight";

    /// <summary>The output projection [vocab, hidden]; absent when tied to the embedding.</summary>
    public const string LanguageModelHead = "lm_head.weight";

    /// <summary>The name of a per-layer tensor, such as <c>self_attn.q_proj.weight</c>.</summary>
    public static string Layer(int layer, string tensor) => $"layers.{layer}.{tensor}";

    /// <summary>Per-layer tensor names.</summary>
    public static class Layers
    {
        /// <summary>RMSNorm before attention.</summary>
        public const string AttentionNorm = "input_layernorm.weight";

        /// <summary>RMSNorm before the MLP.</summary>
        public const string MlpNorm = "post_attention_layernorm.weight";

        /// <summary>Query projection.</summary>
        public const string Query = "self_attn.q_proj.weight";

        /// <summary>Key projection.</summary>
        public const string Key = "self_attn.k_proj.weight";

        /// <summary>Value projection.</summary>
        public const string Value = "self_attn.v_proj.weight";

        /// <summary>Attention output projection.</summary>
        public const string Output = "self_attn.o_proj.weight";

        /// <summary>Per-head RMSNorm of queries.</summary>
        public const string QueryNorm = "self_attn.q_norm.weight";

        /// <summary>Per-head RMSNorm of keys.</summary>
        public const string KeyNorm = "self_attn.k_norm.weight";

        /// <summary>MLP gate projection.</summary>
        public const string Gate = "mlp.gate_proj.weight";

        /// <summary>MLP up projection.</summary>
        public const string Up = "mlp.up_proj.weight";

        /// <summary>MLP down projection.</summary>
        public const string Down = "mlp.down_proj.weight";
    }
}
