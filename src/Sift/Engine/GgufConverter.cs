using System.Runtime.InteropServices;
using System.Text.Json;
using Sift.Checkpoints;
using Sift.Checkpoints.Gguf;
using Sift.Kernels;
using Sift.Qwen3;

namespace Sift.Engine;

/// <summary>
/// Converts a Hugging Face Qwen3 checkpoint to GGUF the way llama.cpp's convert_hf_to_gguf.py does
/// (class Qwen3Model): the same tensor names, metadata keys and tokenizer metadata, so the file
/// works in llama.cpp too. 2-D weights become F16 or Q8_0 (F16 when a row is not whole Q8_0
/// blocks), norms stay F32; a reranker keeps only lm_head's "yes" and "no" rows as cls.output.weight.
/// </summary>
public static class GgufConverter
{
    private const int RowsPerChunk = 1024;
    private const int NormalToken = 1, ControlToken = 3, UserDefinedToken = 4, UnusedToken = 5;
    private const uint LastTokenPooling = 3, RankPooling = 4;

    /// <summary>The rerank chat template llama.cpp stores, with the default instruction baked in.</summary>
    private static readonly string RerankTemplate = Prompts.RerankPrefix + Prompts.RerankBody("{query}", "{document}") + Prompts.RerankSuffix;

    /// <summary>The kind a directory's name suggests: "rerank" in it means a reranker.</summary>
    public static ModelKind GuessKind(string source) =>
        Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(source))).Contains("rerank", StringComparison.OrdinalIgnoreCase)
            ? ModelKind.Reranker
            : ModelKind.Embedding;

    /// <summary>Converts <paramref name="source"/> (a model directory) to a GGUF file at <paramref name="output"/>.</summary>
    /// <param name="source">The Hugging Face model directory.</param>
    /// <param name="output">The .gguf file to write.</param>
    /// <param name="type">F32, F16 or Q8_0 for 2-D weights.</param>
    /// <param name="kind">Embedding or reranker.</param>
    public static void Convert(string source, string output, TensorType type, ModelKind kind)
    {
        if (type is not (TensorType.F32 or TensorType.F16 or TensorType.Q8_0))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "GGUF conversion writes F32, F16 or Q8_0");
        }
        var config = Qwen3Config.Load(source);
        var vocabulary = TokenizerVocabulary.Read(Path.Combine(source, Tokenization.Tokenizer.FileName), config.VocabSize);
        using var checkpoint = SafetensorsCheckpoint.Open(source);
        var reader = new WeightReader(checkpoint);
        var writer = new GgufWriter();
        WriteMetadata(writer, config, vocabulary, type, kind, Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(source))));

        var h = config.HiddenSize;
        var d = config.HeadDim;
        var embedding = reader.Get(Qwen3WeightNames.Embedding, config.VocabSize, h);
        AddMatrix(writer, "token_embd.weight", embedding, type);
        var layerTensors = new (string Gguf, string Hf, int Rows, int Columns)[]
        {
            ("attn_norm.weight", Qwen3WeightNames.Layers.AttentionNorm, 0, h),
            ("attn_q.weight", Qwen3WeightNames.Layers.Query, config.HeadCount * d, h),
            ("attn_k.weight", Qwen3WeightNames.Layers.Key, config.KeyValueHeadCount * d, h),
            ("attn_v.weight", Qwen3WeightNames.Layers.Value, config.KeyValueHeadCount * d, h),
            ("attn_output.weight", Qwen3WeightNames.Layers.Output, h, config.HeadCount * d),
            ("attn_q_norm.weight", Qwen3WeightNames.Layers.QueryNorm, 0, d),
            ("attn_k_norm.weight", Qwen3WeightNames.Layers.KeyNorm, 0, d),
            ("ffn_norm.weight", Qwen3WeightNames.Layers.MlpNorm, 0, h),
            ("ffn_gate.weight", Qwen3WeightNames.Layers.Gate, config.IntermediateSize, h),
            ("ffn_up.weight", Qwen3WeightNames.Layers.Up, config.IntermediateSize, h),
            ("ffn_down.weight", Qwen3WeightNames.Layers.Down, h, config.IntermediateSize),
        };
        for (var l = 0; l < config.LayerCount; l++)
        {
            foreach (var (gguf, hf, rows, columns) in layerTensors)
            {
                var name = Qwen3WeightNames.Layer(l, hf);
                if (rows == 0)
                {
                    AddVector(writer, $"blk.{l}.{gguf}", reader.Vector(name, columns));
                }
                else
                {
                    AddMatrix(writer, $"blk.{l}.{gguf}", reader.Get(name, rows, columns), type);
                }
            }
        }
        AddVector(writer, "output_norm.weight", reader.Vector(Qwen3WeightNames.FinalNorm, h));
        var head = reader.TryFind(Qwen3WeightNames.LanguageModelHead, out var lmHead) ? lmHead : null;
        if (kind == ModelKind.Reranker)
        {
            var source2 = head ?? embedding;
            var rows = new[] { vocabulary.Id(Prompts.Yes), vocabulary.Id(Prompts.No) };
            writer.AddTensor(GgufCheckpoint.ClassifierTensor, RowType(type, h), [2, h], stream => WriteRows(stream, source2, rows, type));
        }
        else if (head is not null && !config.TieWordEmbeddings)
        {
            AddMatrix(writer, "output.weight", head, type);
        }
        writer.Write(output);
    }

    private static void WriteMetadata(GgufWriter writer, Qwen3Config config, TokenizerVocabulary vocabulary, TensorType type, ModelKind kind, string name)
    {
        const string a = "qwen3";
        writer.Add("general.architecture", a)
            .Add("general.type", "model")
            .Add("general.name", name)
            .Add("general.file_type", type switch { TensorType.F32 => 0u, TensorType.F16 => 1u, _ => 7u })
            .Add("general.quantization_version", 2u)
            .Add("general.alignment", 32u)
            .Add($"{a}.context_length", (uint)config.MaxPositionEmbeddings)
            .Add($"{a}.embedding_length", (uint)config.HiddenSize)
            .Add($"{a}.block_count", (uint)config.LayerCount)
            .Add($"{a}.feed_forward_length", (uint)config.IntermediateSize)
            .Add($"{a}.attention.head_count", (uint)config.HeadCount)
            .Add($"{a}.attention.head_count_kv", (uint)config.KeyValueHeadCount)
            .Add($"{a}.attention.key_length", (uint)config.HeadDim)
            .Add($"{a}.attention.value_length", (uint)config.HeadDim)
            .Add($"{a}.attention.layer_norm_rms_epsilon", (float)config.RmsNormEps)
            .Add($"{a}.rope.freq_base", (float)config.RopeTheta)
            .Add($"{a}.pooling_type", kind == ModelKind.Reranker ? RankPooling : LastTokenPooling);
        if (kind == ModelKind.Reranker)
        {
            writer.Add($"{a}.classifier.output_labels", [Prompts.Yes, Prompts.No]);
        }
        writer.Add("tokenizer.ggml.model", "gpt2")
            .Add("tokenizer.ggml.pre", "qwen2")
            .Add("tokenizer.ggml.tokens", vocabulary.Tokens)
            .Add("tokenizer.ggml.token_type", vocabulary.Types)
            .Add("tokenizer.ggml.merges", vocabulary.Merges);
        var endOfText = (uint)vocabulary.Id("<|endoftext|>");
        var imEnd = (uint)vocabulary.Id("<|im_end|>");
        if (kind == ModelKind.Embedding)
        {
            // Like the Qwen3-Embedding tokenizer's post-processor: every input ends with <|endoftext|>.
            writer.Add("tokenizer.ggml.eos_token_id", endOfText).Add("tokenizer.ggml.eot_token_id", imEnd);
        }
        else
        {
            writer.Add("tokenizer.ggml.eos_token_id", imEnd);
        }
        writer.Add("tokenizer.ggml.padding_token_id", endOfText)
            .Add("tokenizer.ggml.bos_token_id", endOfText)
            .Add("tokenizer.ggml.add_bos_token", false)
            .Add("tokenizer.ggml.add_eos_token", kind == ModelKind.Embedding);
        if (kind == ModelKind.Reranker)
        {
            writer.Add("tokenizer.chat_template.rerank", RerankTemplate).Add("tokenizer.chat_templates", ["rerank"]);
        }
    }

    /// <summary>Q8_0 needs whole 32-value blocks per row; llama.cpp falls back to F16 otherwise.</summary>
    private static TensorType RowType(TensorType requested, int columns) =>
        requested == TensorType.Q8_0 && columns % Q8Blocks.BlockSize != 0 ? TensorType.F16 : requested;

    private static void AddMatrix(GgufWriter writer, string name, CheckpointTensor tensor, TensorType requested)
    {
        var rows = (int)tensor.Shape[0];
        var columns = (int)tensor.Shape[1];
        var type = RowType(requested, columns);
        writer.AddTensor(name, type, [rows, columns], stream => WriteRows(stream, tensor, Enumerable.Range(0, rows), type));
    }

    private static void AddVector(GgufWriter writer, string name, float[] values) =>
        writer.AddTensor(name, TensorType.F32, [values.Length], stream => stream.Write(MemoryMarshal.AsBytes(values.AsSpan())));

    private static void WriteRows(Stream stream, CheckpointTensor tensor, IEnumerable<int> rows, TensorType type)
    {
        var columns = (int)tensor.Shape[1];
        var row = new float[columns];
        var encoded = new byte[Math.Max(columns * 4, columns / Q8Blocks.BlockSize * 34)];
        var quantized = new sbyte[Q8Blocks.BlockSize];
        foreach (var r in rows)
        {
            WeightReader.ReadRow(tensor, r, row);
            var length = Encode(row, type, encoded, quantized);
            stream.Write(encoded, 0, length);
        }
    }

    private static int Encode(float[] row, TensorType type, byte[] destination, sbyte[] quantized)
    {
        switch (type)
        {
            case TensorType.F32:
                MemoryMarshal.AsBytes(row.AsSpan()).CopyTo(destination);
                return row.Length * 4;
            case TensorType.F16:
                var halves = MemoryMarshal.Cast<byte, Half>(destination.AsSpan());
                for (var i = 0; i < row.Length; i++)
                {
                    halves[i] = (Half)row[i];
                }
                return row.Length * 2;
            default:
                var blocks = row.Length / Q8Blocks.BlockSize;
                for (var b = 0; b < blocks; b++)
                {
                    var scale = Q8Blocks.Quantize(row.AsSpan(b * Q8Blocks.BlockSize, Q8Blocks.BlockSize), quantized);
                    System.Buffers.Binary.BinaryPrimitives.WriteHalfLittleEndian(destination.AsSpan(b * 34), (Half)scale);
                    MemoryMarshal.AsBytes(quantized.AsSpan()).CopyTo(destination.AsSpan(b * 34 + 2));
                }
                return blocks * 34;
        }
    }

    /// <summary>tokenizer.json as GGUF wants it: a token string and type for every id up to vocab_size, merges as "a b".</summary>
    private sealed record TokenizerVocabulary(string[] Tokens, int[] Types, string[] Merges)
    {
        public int Id(string token) => Array.IndexOf(Tokens, token) is >= 0 and var id ? id
            : throw new CheckpointException($"the tokenizer has no '{token}' token");

        public static TokenizerVocabulary Read(string path, int vocabSize)
        {
            if (!File.Exists(path))
            {
                throw new CheckpointException($"{path}: tokenizer.json not found");
            }
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var model = document.RootElement.GetProperty("model");
            var byId = new Dictionary<int, (string Token, int Type)>();
            foreach (var entry in model.GetProperty("vocab").EnumerateObject())
            {
                byId[entry.Value.GetInt32()] = (entry.Name, NormalToken);
            }
            if (document.RootElement.TryGetProperty("added_tokens", out var added))
            {
                foreach (var token in added.EnumerateArray())
                {
                    var content = token.GetProperty("content").GetString()!;
                    var special = token.TryGetProperty("special", out var flag) && flag.GetBoolean() || content.StartsWith("<|", StringComparison.Ordinal) && content.EndsWith("|>", StringComparison.Ordinal);
                    byId[token.GetProperty("id").GetInt32()] = (content, special ? ControlToken : UserDefinedToken);
                }
            }
            var count = Math.Max(vocabSize, byId.Keys.Max() + 1);
            var tokens = new string[count];
            var types = new int[count];
            for (var id = 0; id < count; id++)
            {
                (tokens[id], types[id]) = byId.TryGetValue(id, out var known) ? known : ($"[PAD{id}]", UnusedToken);
            }
            var merges = model.GetProperty("merges").EnumerateArray()
                .Select(m => m.ValueKind == JsonValueKind.String ? m.GetString()! : $"{m[0].GetString()} {m[1].GetString()}").ToArray();
            return new TokenizerVocabulary(tokens, types, merges);
        }
    }
}
