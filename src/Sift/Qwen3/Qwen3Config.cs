using System.Text.Json;
using System.Text.Json.Serialization;
using Sift.Checkpoints;

namespace Sift.Qwen3;

/// <summary>The hyperparameters of a Qwen3 checkpoint, as config.json names them.</summary>
public sealed record Qwen3Config
{
    /// <summary>The file name of a Hugging Face model configuration.</summary>
    public const string FileName = "config.json";

    /// <summary>The model_type value this config describes.</summary>
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "qwen3";

    /// <summary>Width of the residual stream.</summary>
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; }

    /// <summary>Width of the MLP's inner layer.</summary>
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; }

    /// <summary>Number of transformer layers.</summary>
    [JsonPropertyName("num_hidden_layers")] public int LayerCount { get; init; }

    /// <summary>Number of query heads.</summary>
    [JsonPropertyName("num_attention_heads")] public int HeadCount { get; init; }

    /// <summary>Number of key/value heads (grouped-query attention).</summary>
    [JsonPropertyName("num_key_value_heads")] public int KeyValueHeadCount { get; init; }

    /// <summary>Width of one head; Qwen3 sets it explicitly (it is not hidden / heads).</summary>
    [JsonPropertyName("head_dim")] public int HeadDim { get; init; }

    /// <summary>The longest sequence the positions are trained for.</summary>
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; } = 32768;

    /// <summary>RMSNorm epsilon.</summary>
    [JsonPropertyName("rms_norm_eps")] public double RmsNormEps { get; init; } = 1e-6;

    /// <summary>RoPE base frequency.</summary>
    [JsonPropertyName("rope_theta")] public double RopeTheta { get; init; } = 1_000_000;

    /// <summary>Vocabulary size (rows of the embedding table).</summary>
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; }

    /// <summary>Whether lm_head shares the embedding table.</summary>
    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; init; }

    /// <summary>The dtype the weights were saved in.</summary>
    [JsonPropertyName("torch_dtype")] public string? TorchDtype { get; init; }

    /// <summary>Whether q/k/v projections carry a bias (never in Qwen3).</summary>
    [JsonPropertyName("attention_bias")] public bool AttentionBias { get; init; }

    /// <summary>The MLP activation; Qwen3 uses silu.</summary>
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "silu";

    /// <summary>RoPE scaling settings; Sift supports none.</summary>
    [JsonPropertyName("rope_scaling")] public JsonElement? RopeScaling { get; init; }

    /// <summary>Number of query heads that share one key/value head.</summary>
    [JsonIgnore] public int GroupSize => HeadCount / KeyValueHeadCount;

    /// <summary>Reads and validates a config.json file, or the one in a model directory.</summary>
    public static Qwen3Config Load(string path)
    {
        var file = Directory.Exists(path) ? Path.Combine(path, FileName) : path;
        if (!File.Exists(file))
        {
            throw new CheckpointException($"{file}: model config not found");
        }
        Qwen3Config? config;
        try
        {
            config = JsonSerializer.Deserialize<Qwen3Config>(File.ReadAllBytes(file));
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{file}: not a valid config.json ({e.Message})");
        }
        if (config is null)
        {
            throw new CheckpointException($"{file}: empty config");
        }
        config = config.HeadDim == 0 && config.HeadCount > 0 ? config with { HeadDim = config.HeadSize() } : config;
        config.Validate(file);
        return config;
    }

    /// <summary>Checks that the numbers describe a Qwen3 model Sift can run; the message names the field.</summary>
    public void Validate(string source)
    {
        // Qwen2 shares the layout but not the model: it has q/k/v biases and no q/k norms, so its
        // checkpoints would load wrongly or fail late; it is refused here, by name.
        if (ModelType != "qwen3")
        {
            throw new CheckpointException($"{source}: model_type '{ModelType}' is not a Qwen3 model (Sift runs model_type \"qwen3\")");
        }
        void Positive(int value, string name)
        {
            if (value <= 0)
            {
                throw new CheckpointException($"{source}: {name} must be positive, got {value}");
            }
        }
        Positive(HiddenSize, "hidden_size");
        Positive(IntermediateSize, "intermediate_size");
        Positive(LayerCount, "num_hidden_layers");
        Positive(HeadCount, "num_attention_heads");
        Positive(KeyValueHeadCount, "num_key_value_heads");
        Positive(HeadDim, "head_dim");
        Positive(VocabSize, "vocab_size");
        Positive(MaxPositionEmbeddings, "max_position_embeddings");
        if (HeadCount % KeyValueHeadCount != 0)
        {
            throw new CheckpointException($"{source}: num_attention_heads {HeadCount} is not a multiple of num_key_value_heads {KeyValueHeadCount}");
        }
        if (HeadDim % 2 != 0)
        {
            throw new CheckpointException($"{source}: head_dim {HeadDim} must be even for rotary embeddings");
        }
        if (AttentionBias)
        {
            throw new CheckpointException($"{source}: attention_bias = true is not supported (Qwen3 has no attention bias)");
        }
        if (HiddenAct != "silu")
        {
            throw new CheckpointException($"{source}: hidden_act '{HiddenAct}' is not supported; Qwen3 uses silu");
        }
        if (RopeScaling is { ValueKind: not JsonValueKind.Null })
        {
            throw new CheckpointException($"{source}: rope_scaling is not supported");
        }
        if (RmsNormEps <= 0 || RopeTheta <= 0)
        {
            throw new CheckpointException($"{source}: rms_norm_eps and rope_theta must be positive");
        }
    }

    private int HeadSize() => HiddenSize / HeadCount;
}
