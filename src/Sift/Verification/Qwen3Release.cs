using Sift.Qwen3;

namespace Sift.Verification;

/// <summary>
/// A published Qwen3-Embedding / Qwen3-Reranker size, recognised by its architecture: the
/// embedding and reranker of one size share it, and Qwen3 chat models of the same size differ by
/// their vocabulary (151936 rather than 151669), so the shape names the release without
/// trusting a directory name. Fine-tunes keep the shape: a shape match means "built as this
/// release", not "these exact weights".
/// </summary>
/// <param name="Size">"0.6B", "4B" or "8B".</param>
/// <param name="HiddenSize">hidden_size.</param>
/// <param name="LayerCount">num_hidden_layers.</param>
/// <param name="HeadCount">num_attention_heads.</param>
/// <param name="KeyValueHeadCount">num_key_value_heads.</param>
/// <param name="HeadDim">head_dim.</param>
/// <param name="IntermediateSize">intermediate_size.</param>
public sealed record Qwen3Release(string Size, int HiddenSize, int LayerCount, int HeadCount, int KeyValueHeadCount, int HeadDim, int IntermediateSize)
{
    /// <summary>The vocabulary of Qwen3-Embedding and Qwen3-Reranker (tokens and added tokens).</summary>
    public const int VocabularySize = 151669;

    /// <summary>The three published sizes, from the model cards' configuration files.</summary>
    public static readonly IReadOnlyList<Qwen3Release> All =
    [
        new("0.6B", 1024, 28, 16, 8, 128, 3072),
        new("4B", 2560, 36, 32, 8, 128, 9728),
        new("8B", 4096, 36, 32, 8, 128, 12288),
    ];

    /// <summary>The release whose shape this configuration has, or null.</summary>
    public static Qwen3Release? Recognise(Qwen3Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return All.FirstOrDefault(r => r.HiddenSize == config.HiddenSize && r.LayerCount == config.LayerCount
            && r.HeadCount == config.HeadCount && r.KeyValueHeadCount == config.KeyValueHeadCount && r.HeadDim == config.HeadDim
            && r.IntermediateSize == config.IntermediateSize && config.VocabSize == VocabularySize);
    }

    /// <summary>The shape as the verifier prints it when no release matches.</summary>
    public static string Describe(Qwen3Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return $"hidden {config.HiddenSize}, {config.LayerCount} layers, {config.HeadCount}/{config.KeyValueHeadCount} heads, "
            + $"head_dim {config.HeadDim}, ffn {config.IntermediateSize}, vocab {config.VocabSize}";
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"hidden {HiddenSize}, {LayerCount} layers, {HeadCount}/{KeyValueHeadCount} heads, head_dim {HeadDim}, ffn {IntermediateSize}, vocab {VocabularySize}";
}
