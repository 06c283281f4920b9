using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sift.Checkpoints;
using Sift.Kernels;

namespace Sift.Tests.Support;

/// <summary>The shape and storage choices of a generated Qwen3 checkpoint.</summary>
internal sealed record TinyQwen3Spec
{
    public int Hidden { get; init; } = 48;
    public int Layers { get; init; } = 3;
    public int Heads { get; init; } = 6;
    public int KeyValueHeads { get; init; } = 2;
    public int HeadDim { get; init; } = 16;
    public int Intermediate { get; init; } = 72;
    public int Vocab { get; init; } = 151669;
    public bool Tied { get; init; } = true;
    public bool PrefixEmbedding { get; init; } = true;
    public bool PrefixLayers { get; init; }
    public TensorType LayerType { get; init; } = TensorType.F16;
    public TensorType EmbeddingType { get; init; } = TensorType.BF16;
    public bool TokenizerTemplate { get; init; }
    public int Seed { get; init; } = 7;

    /// <summary>Changes a tensor's values (by unprefixed name) before it is written, to build corrupt checkpoints.</summary>
    public Action<string, float[]>? Edit { get; init; }
}

/// <summary>
/// Writes a random-weight Qwen3 checkpoint in the Hugging Face layout to a temporary directory and
/// keeps the exact weight values (already rounded to their stored type) for a reference forward.
/// </summary>
internal sealed class TinyQwen3Checkpoint : IDisposable
{
    private TinyQwen3Checkpoint(TinyQwen3Spec spec, string directory, Dictionary<string, float[]> weights)
    {
        Spec = spec;
        Directory = directory;
        Weights = weights;
    }

    public TinyQwen3Spec Spec { get; }

    public string Directory { get; }

    /// <summary>Weights by their unprefixed Hugging Face name.</summary>
    public Dictionary<string, float[]> Weights { get; }

    public static TinyQwen3Checkpoint Create(TinyQwen3Spec spec)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("sift-tiny-").FullName;
        var random = new Random(spec.Seed);
        var weights = new Dictionary<string, float[]>();
        var tensors = new List<TensorToWrite>();
        void Add(string name, TensorType type, long[] shape, double scale, double center, bool prefixed)
        {
            var count = (int)shape.Aggregate(1L, (a, b) => a * b);
            var values = new float[count];
            for (var i = 0; i < count; i++)
            {
                values[i] = Round(type, (float)(center + scale * (random.NextDouble() * 2 - 1)));
            }
            spec.Edit?.Invoke(name, values);
            weights[name] = values;
            tensors.Add(new TensorToWrite(prefixed ? "model." + name : name, type, shape, Encode(type, values)));
        }

        var h = spec.Hidden;
        var d = spec.HeadDim;
        Add("embed_tokens.weight", spec.EmbeddingType, [spec.Vocab, h], 1.0, 0, spec.PrefixEmbedding);
        for (var l = 0; l < spec.Layers; l++)
        {
            var p = $"layers.{l}.";
            Add(p + "input_layernorm.weight", TensorType.F32, [h], 0.2, 1, spec.PrefixLayers);
            Add(p + "post_attention_layernorm.weight", TensorType.F32, [h], 0.2, 1, spec.PrefixLayers);
            Add(p + "self_attn.q_norm.weight", TensorType.F32, [d], 0.2, 1, spec.PrefixLayers);
            Add(p + "self_attn.k_norm.weight", TensorType.F32, [d], 0.2, 1, spec.PrefixLayers);
            Add(p + "self_attn.q_proj.weight", spec.LayerType, [spec.Heads * d, h], 0.3, 0, spec.PrefixLayers);
            Add(p + "self_attn.k_proj.weight", spec.LayerType, [spec.KeyValueHeads * d, h], 0.3, 0, spec.PrefixLayers);
            Add(p + "self_attn.v_proj.weight", spec.LayerType, [spec.KeyValueHeads * d, h], 0.3, 0, spec.PrefixLayers);
            Add(p + "self_attn.o_proj.weight", spec.LayerType, [h, spec.Heads * d], 0.3, 0, spec.PrefixLayers);
            Add(p + "mlp.gate_proj.weight", spec.LayerType, [spec.Intermediate, h], 0.3, 0, spec.PrefixLayers);
            Add(p + "mlp.up_proj.weight", spec.LayerType, [spec.Intermediate, h], 0.3, 0, spec.PrefixLayers);
            Add(p + "mlp.down_proj.weight", spec.LayerType, [h, spec.Intermediate], 0.3, 0, spec.PrefixLayers);
        }
        Add("norm.weight", TensorType.F32, [h], 0.2, 1, spec.PrefixLayers);
        if (!spec.Tied)
        {
            Add("lm_head.weight", spec.LayerType, [spec.Vocab, h], 0.5, 0, false);
        }
        SafetensorsWriter.Write(Path.Combine(directory, "model.safetensors"), tensors);

        var config = new JsonObject
        {
            ["architectures"] = new JsonArray("Qwen3ForCausalLM"),
            ["model_type"] = "qwen3",
            ["hidden_size"] = h,
            ["intermediate_size"] = spec.Intermediate,
            ["num_hidden_layers"] = spec.Layers,
            ["num_attention_heads"] = spec.Heads,
            ["num_key_value_heads"] = spec.KeyValueHeads,
            ["head_dim"] = d,
            ["hidden_act"] = "silu",
            ["max_position_embeddings"] = 32768,
            ["rms_norm_eps"] = 1e-6,
            ["rope_theta"] = 1000000.0,
            ["vocab_size"] = spec.Vocab,
            ["tie_word_embeddings"] = spec.Tied,
            ["torch_dtype"] = "bfloat16",
        };
        File.WriteAllText(Path.Combine(directory, "config.json"), config.ToJsonString());

        var tokenizer = JsonNode.Parse(File.ReadAllText(Path.Combine(Fixtures.EmbeddingModel, "tokenizer.json")))!.AsObject();
        if (!spec.TokenizerTemplate)
        {
            tokenizer["post_processor"] = null;
        }
        File.WriteAllText(Path.Combine(directory, "tokenizer.json"), tokenizer.ToJsonString());
        return new TinyQwen3Checkpoint(spec, directory, weights);
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A mapped file may still be open on some platforms; the temp folder is cleaned later.
        }
    }

    private static float Round(TensorType type, float value) => type switch
    {
        TensorType.BF16 => BitConverter.UInt32BitsToSingle((uint)NumberFormats.ToBFloat16(value) << 16),
        TensorType.F16 => (float)(Half)value,
        _ => value,
    };

    private static byte[] Encode(TensorType type, float[] values) => type switch
    {
        TensorType.F32 => MemoryMarshal.AsBytes(values.AsSpan()).ToArray(),
        TensorType.F16 => MemoryMarshal.AsBytes(values.Select(v => (Half)v).ToArray().AsSpan()).ToArray(),
        TensorType.BF16 => MemoryMarshal.AsBytes(values.Select(NumberFormats.ToBFloat16).ToArray().AsSpan()).ToArray(),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };
}
