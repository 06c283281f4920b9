using System.Diagnostics.CodeAnalysis;
using Sift.Qwen3;
using Sift.Tokenization;

namespace Sift.Checkpoints.Gguf;

/// <summary>
/// A Qwen3 GGUF file as llama.cpp's converter writes it, seen through the Hugging Face names the
/// model loader uses (token_embd.weight → embed_tokens.weight, blk.N.attn_q.weight →
/// layers.N.self_attn.q_proj.weight, ...), with the config and tokenizer read from its metadata.
/// </summary>
public sealed class GgufCheckpoint : ICheckpoint
{
    /// <summary>The name the classifier rows of a converted reranker keep.</summary>
    public const string ClassifierTensor = "cls.output.weight";

    /// <summary>llama.cpp's pooling type for rerankers.</summary>
    private const int RankPooling = 4;

    private static readonly Dictionary<string, string> LayerNames = new(StringComparer.Ordinal)
    {
        ["attn_norm.weight"] = Qwen3WeightNames.Layers.AttentionNorm,
        ["attn_q.weight"] = Qwen3WeightNames.Layers.Query,
        ["attn_k.weight"] = Qwen3WeightNames.Layers.Key,
        ["attn_v.weight"] = Qwen3WeightNames.Layers.Value,
        ["attn_output.weight"] = Qwen3WeightNames.Layers.Output,
        ["attn_q_norm.weight"] = Qwen3WeightNames.Layers.QueryNorm,
        ["attn_k_norm.weight"] = Qwen3WeightNames.Layers.KeyNorm,
        ["ffn_norm.weight"] = Qwen3WeightNames.Layers.MlpNorm,
        ["ffn_gate.weight"] = Qwen3WeightNames.Layers.Gate,
        ["ffn_up.weight"] = Qwen3WeightNames.Layers.Up,
        ["ffn_down.weight"] = Qwen3WeightNames.Layers.Down,
    };

    private readonly GgufFile _file;
    private readonly Dictionary<string, CheckpointTensor> _tensors;

    private GgufCheckpoint(GgufFile file)
    {
        _file = file;
        _tensors = file.Tensors.ToDictionary(t => HuggingFaceName(t.Key), t => t.Value, StringComparer.Ordinal);
        Config = ReadConfig(file);
    }

    /// <summary>The hyperparameters from the qwen3.* metadata.</summary>
    public Qwen3Config Config { get; }

    /// <summary>Whether the file is a reranker (pooling type "rank").</summary>
    public bool IsReranker => _file.Get("qwen3.pooling_type")?.AsInt64() == RankPooling;

    /// <summary>The file.</summary>
    public GgufFile File => _file;

    /// <summary>The labels of the classifier rows of a converted reranker (["yes", "no"]), or null.</summary>
    public IReadOnlyList<string>? ClassifierLabels =>
        _tensors.ContainsKey(ClassifierTensor) ? _file.Get("qwen3.classifier.output_labels")?.Value as string[] ?? ["yes", "no"] : null;

    /// <inheritdoc />
    public IReadOnlyCollection<string> TensorNames => _tensors.Keys;

    /// <summary>Opens a GGUF file of the qwen3 architecture.</summary>
    public static GgufCheckpoint Open(string path)
    {
        var file = GgufFile.Open(path);
        try
        {
            var architecture = file.Require("general.architecture").Value as string;
            if (architecture != "qwen3")
            {
                throw new CheckpointException($"{path}: general.architecture is '{architecture}'; Sift runs qwen3");
            }
            return new GgufCheckpoint(file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The model's tokenizer: a tokenizer.json beside the file wins (it is what the model was
    /// trained with), else the one the tokenizer.ggml.* metadata describes.
    /// </summary>
    public Tokenizer LoadTokenizer()
    {
        var besides = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(_file.Path))!, Tokenizer.FileName);
        return System.IO.File.Exists(besides) ? Tokenizer.Load(besides) : CreateTokenizer();
    }

    /// <summary>The tokenizer described by the tokenizer.ggml.* metadata.</summary>
    public Tokenizer CreateTokenizer()
    {
        var model = _file.Require("tokenizer.ggml.model").Value as string;
        if (model != "gpt2")
        {
            throw new CheckpointException($"{_file.Path}: tokenizer.ggml.model is '{model}'; Sift reads byte-level BPE (gpt2) tokenizers");
        }
        var tokens = _file.Require("tokenizer.ggml.tokens").Value as string[]
            ?? throw new CheckpointException($"{_file.Path}: tokenizer.ggml.tokens is not an array of strings");
        var types = _file.Get("tokenizer.ggml.token_type")?.Value as int[] ?? Enumerable.Repeat(1, tokens.Length).ToArray();
        var merges = _file.Require("tokenizer.ggml.merges").Value as string[]
            ?? throw new CheckpointException($"{_file.Path}: tokenizer.ggml.merges is not an array of strings");
        var pre = _file.Get("tokenizer.ggml.pre")?.Value as string ?? "qwen2";
        int[] Optional(string flag, string idKey) =>
            _file.Get(flag)?.Value is true && _file.Get(idKey) is { } id ? [(int)id.AsInt64()] : [];
        try
        {
            return Tokenizer.FromVocabulary(tokens, types, merges, pre,
                Optional("tokenizer.ggml.add_bos_token", "tokenizer.ggml.bos_token_id"),
                Optional("tokenizer.ggml.add_eos_token", "tokenizer.ggml.eos_token_id"));
        }
        catch (TokenizerException e)
        {
            throw new CheckpointException($"{_file.Path}: tokenizer metadata: {e.Message}");
        }
    }

    /// <inheritdoc />
    public bool TryGetTensor(string name, [NotNullWhen(true)] out CheckpointTensor? tensor) => _tensors.TryGetValue(name, out tensor);

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();

    private static string HuggingFaceName(string name)
    {
        switch (name)
        {
            case "token_embd.weight": return Qwen3WeightNames.Embedding;
            case "output_norm.weight": return Qwen3WeightNames.FinalNorm;
            case "output.weight": return Qwen3WeightNames.LanguageModelHead;
        }
        var parts = name.Split('.', 3);
        return parts.Length == 3 && parts[0] == "blk" && int.TryParse(parts[1], out var layer) && LayerNames.TryGetValue(parts[2], out var tensor)
            ? Qwen3WeightNames.Layer(layer, tensor)
            : name;
    }

    private static Qwen3Config ReadConfig(GgufFile file)
    {
        int Int(string key) => checked((int)file.Require($"qwen3.{key}").AsInt64());
        var hidden = Int("embedding_length");
        var heads = Int("attention.head_count");
        var vocab = file.Get("tokenizer.ggml.tokens")?.Value is string[] tokens ? tokens.Length
            : file.Tensors.TryGetValue("token_embd.weight", out var embedding) ? (int)embedding.Shape[0] : 0;
        var config = new Qwen3Config
        {
            HiddenSize = hidden,
            IntermediateSize = Int("feed_forward_length"),
            LayerCount = Int("block_count"),
            HeadCount = heads,
            KeyValueHeadCount = file.Get("qwen3.attention.head_count_kv") is { } kv ? (int)kv.AsInt64() : heads,
            HeadDim = file.Get("qwen3.attention.key_length") is { } key ? (int)key.AsInt64() : hidden / heads,
            MaxPositionEmbeddings = Int("context_length"),
            // Stored as float32: 1e-6 arrives as 9.99999997e-7; round back to the decimal it was written from.
            RmsNormEps = Math.Round(file.Require("qwen3.attention.layer_norm_rms_epsilon").AsDouble(), 12),
            RopeTheta = file.Get("qwen3.rope.freq_base")?.AsDouble() ?? 1_000_000,
            VocabSize = vocab,
            TieWordEmbeddings = !file.Tensors.ContainsKey("output.weight"),
        };
        config.Validate(file.Path);
        return config;
    }
}
