using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Sift.Checkpoints;
using Sift.Checkpoints.Gguf;
using Sift.Engine;
using Sift.Kernels;

namespace Sift.Tests.Checkpoints;

/// <summary>
/// A GGUF whose layer weights are k-quants (as in the official 4B/8B Q4_K_M files) against the same
/// model with those weights dequantized into F32: the k-quant path (dequantize, repack as int8)
/// must give the same embeddings within int8 tolerance.
/// </summary>
public sealed class KQuantModelTests : IDisposable
{
    private const int Hidden = 256;
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("sift-kquant-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Theory]
    [InlineData(TensorType.Q4_K)]
    [InlineData(TensorType.Q5_K)]
    [InlineData(TensorType.Q6_K)]
    public void Embed_KQuantLayers_MatchTheirDequantizedF32Model(TensorType type)
    {
        var random = new Random((int)type);
        var layers = new Dictionary<string, (int Rows, byte[] Bytes)>
        {
            ["attn_q.weight"] = (Hidden, Blocks(type, Hidden, random)),
            ["attn_k.weight"] = (128, Blocks(type, 128, random)),
            ["attn_v.weight"] = (128, Blocks(type, 128, random)),
            ["attn_output.weight"] = (Hidden, Blocks(type, Hidden, random)),
            ["ffn_gate.weight"] = (Hidden, Blocks(type, Hidden, random)),
            ["ffn_up.weight"] = (Hidden, Blocks(type, Hidden, random)),
            ["ffn_down.weight"] = (Hidden, Blocks(type, Hidden, random)),
        };
        var embedding = Enumerable.Range(0, 257 * Hidden).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var quantized = Path.Combine(_directory.FullName, $"tiny-{type}.gguf");
        var dequantized = Path.Combine(_directory.FullName, "tiny-f32.gguf");
        Write(quantized, embedding, layers.ToDictionary(l => l.Key, l => (l.Value.Rows, type, l.Value.Bytes)));
        Write(dequantized, embedding, layers.ToDictionary(l => l.Key, l => (l.Value.Rows, TensorType.F32, Dequantize(type, l.Value.Bytes, l.Value.Rows))));

        using var fromKQuants = Embedder.Load(new ModelOptions { Model = quantized });
        using var fromFloats = Embedder.Load(new ModelOptions { Model = dequantized });
        Assert.Equal(WeightFormat.Int8, fromKQuants.Model.WeightFormat);
        Assert.Equal(WeightFormat.F32, fromFloats.Model.WeightFormat);
        foreach (var text in new[] { "hello world", "k-quants from the official 4B and 8B files", "x" })
        {
            var expected = fromFloats.Embed([EmbeddingInput.Document(text)])[0].Vector;
            var actual = fromKQuants.Embed([EmbeddingInput.Document(text)])[0].Vector;
            var worst = expected.Select((v, i) => Math.Abs(v - actual[i])).Max();
            Assert.True(worst < 3e-2, $"{type} '{text}': max difference {worst}");
        }
    }

    /// <summary>Random but well-formed super-blocks: small fp16 scales, any packed values.</summary>
    private static byte[] Blocks(TensorType type, int rows, Random random)
    {
        var blockBytes = type.BlockBytes();
        var bytes = new byte[rows * blockBytes];
        random.NextBytes(bytes);
        for (var block = 0; block < rows; block++)
        {
            var span = bytes.AsSpan(block * blockBytes, blockBytes);
            if (type == TensorType.Q6_K)
            {
                BinaryPrimitives.WriteHalfLittleEndian(span[208..], (Half)0.0005f);
            }
            else
            {
                BinaryPrimitives.WriteHalfLittleEndian(span, (Half)0.001f);
                BinaryPrimitives.WriteHalfLittleEndian(span[2..], (Half)0.002f);
            }
        }
        return bytes;
    }

    private static byte[] Dequantize(TensorType type, byte[] bytes, int rows)
    {
        var values = new float[rows * Hidden];
        switch (type)
        {
            case TensorType.Q4_K: Dequantization.Q4_K(bytes, values); break;
            case TensorType.Q5_K: Dequantization.Q5_K(bytes, values); break;
            default: Dequantization.Q6_K(bytes, values); break;
        }
        return MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
    }

    [Fact]
    public void Load_WideRowsOfMixedTypes_KeepQ8ZeroBlocksExactlyWhereEverySourceIsQ8Zero()
    {
        // Rows of 1024 or more inputs: int8 blocks of 128 unless all of a packed matrix's sources are
        // Q8_0 (then Q8_0's own 32, its values unchanged). Only down is all Q8_0. q and v are Q8_0 but
        // k is F16 (neither the first nor the last source decides); gate is Q8_0 but up F16; the output
        // projection (2048 inputs, so that it differs from down) is F16. The packed size, worked out
        // here per matrix, tells the block size each one got, and the memory estimate must agree.
        // Two key/value heads: groups of 8 query heads, the most the 128-bit path's attention takes.
        const int hidden = 1024, heads = 16, keyValueHeads = 2, attention = heads * 128, keyValue = keyValueHeads * 128;
        var random = new Random(11);
        byte[] Q8(int rows, int columns = hidden) => Q8ZeroBlocks(rows, columns, random);
        byte[] F16(int rows, int columns = hidden) =>
            Enumerable.Range(0, rows * columns).SelectMany(_ => BitConverter.GetBytes((Half)(random.NextDouble() * 0.04 - 0.02))).ToArray();
        var layers = new Dictionary<string, (int Rows, TensorType Type, byte[] Bytes)>
        {
            ["attn_q.weight"] = (attention, TensorType.Q8_0, Q8(attention)),
            ["attn_k.weight"] = (keyValue, TensorType.F16, F16(keyValue)),
            ["attn_v.weight"] = (keyValue, TensorType.Q8_0, Q8(keyValue)),
            ["attn_output.weight"] = (hidden, TensorType.F16, F16(hidden, attention)),
            ["ffn_gate.weight"] = (hidden, TensorType.Q8_0, Q8(hidden)),
            ["ffn_up.weight"] = (hidden, TensorType.F16, F16(hidden)),
            ["ffn_down.weight"] = (hidden, TensorType.Q8_0, Q8(hidden)),
        };
        var path = Path.Combine(_directory.FullName, "wide-mixed.gguf");
        Write(path, Enumerable.Range(0, 257 * hidden).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray(), layers, hidden, heads, keyValueHeads);

        var footprint = ModelFootprint.Estimate(new ModelOptions { Model = path }, ModelKind.Embedding);
        using var embedder = Embedder.Load(new ModelOptions { Model = path });
        Assert.Equal(WeightFormat.Int8, embedder.Model.WeightFormat);
        // Per panel of PanelWidth rows and block of b inputs: b weights, a float scale and an int32 correction per row.
        var width = PackedMatrix.PanelWidth;
        long Packed(int rows, int columns, int block) => (long)(rows + width - 1) / width * (columns / block) * (block * width + 2 * width * sizeof(float));
        var expected = Packed(attention + 2 * keyValue, hidden, 128) + Packed(hidden, attention, 128) + Packed(2 * hidden, hidden, 128) + Packed(hidden, hidden, 32);
        Assert.Equal(expected, embedder.Model.PackedWeightBytes);
        Assert.Equal(expected, footprint.Weights.PackedLayerBytes);
        Assert.All(embedder.Embed([EmbeddingInput.Document("wide rows")])[0].Vector, value => Assert.True(float.IsFinite(value)));
    }

    /// <summary>Q8_0 rows as ggml writes them: per block of 32 a small fp16 scale and int8 values in −127..127, one of them ±127.</summary>
    private static byte[] Q8ZeroBlocks(int rows, int columns, Random random)
    {
        var bytes = new byte[rows * columns / 32 * 34];
        for (var block = 0; block < bytes.Length; block += 34)
        {
            BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(block), (Half)0.0002f);
            for (var i = 0; i < 32; i++)
            {
                bytes[block + 2 + i] = (byte)(sbyte)random.Next(-127, 128);
            }
            bytes[block + 2 + random.Next(32)] = (byte)(sbyte)(random.Next(2) == 0 ? 127 : -127);
        }
        return bytes;
    }

    /// <summary>A one-layer qwen3 GGUF with a byte-level vocabulary of 256 bytes plus &lt;|endoftext|&gt;; heads of 128.</summary>
    private static void Write(string path, float[] embedding, Dictionary<string, (int Rows, TensorType Type, byte[] Bytes)> layers, int hidden = Hidden, int heads = 2,
        int keyValueHeads = 1)
    {
        var tokens = Enumerable.Range(0, 256).Select(b => ByteLevel((byte)b)).Append("<|endoftext|>").ToArray();
        var writer = new GgufWriter()
            .Add("general.architecture", "qwen3")
            .Add("qwen3.context_length", 4096u)
            .Add("qwen3.embedding_length", (uint)hidden)
            .Add("qwen3.block_count", 1u)
            .Add("qwen3.feed_forward_length", (uint)hidden)
            .Add("qwen3.attention.head_count", (uint)heads)
            .Add("qwen3.attention.head_count_kv", (uint)keyValueHeads)
            .Add("qwen3.attention.key_length", 128u)
            .Add("qwen3.attention.value_length", 128u)
            .Add("qwen3.attention.layer_norm_rms_epsilon", 1e-6f)
            .Add("qwen3.rope.freq_base", 1_000_000f)
            .Add("qwen3.pooling_type", 3u)
            .Add("tokenizer.ggml.model", "gpt2")
            .Add("tokenizer.ggml.pre", "qwen2")
            .Add("tokenizer.ggml.tokens", tokens)
            .Add("tokenizer.ggml.token_type", Enumerable.Repeat(1, 256).Append(3).ToArray())
            .Add("tokenizer.ggml.merges", Array.Empty<string>())
            .Add("tokenizer.ggml.eos_token_id", 256u)
            .Add("tokenizer.ggml.add_eos_token", true);
        writer.AddTensor("token_embd.weight", TensorType.F32, [257, hidden], s => s.Write(MemoryMarshal.AsBytes(embedding.AsSpan())));
        var ones = MemoryMarshal.AsBytes(Enumerable.Repeat(1f, hidden).ToArray().AsSpan()).ToArray();
        writer.AddTensor("blk.0.attn_norm.weight", TensorType.F32, [hidden], s => s.Write(ones));
        writer.AddTensor("blk.0.ffn_norm.weight", TensorType.F32, [hidden], s => s.Write(ones));
        writer.AddTensor("blk.0.attn_q_norm.weight", TensorType.F32, [128], s => s.Write(ones, 0, 512));
        writer.AddTensor("blk.0.attn_k_norm.weight", TensorType.F32, [128], s => s.Write(ones, 0, 512));
        foreach (var (name, (rows, type, bytes)) in layers)
        {
            // The output projection's inputs are the attention heads' outputs; every other matrix reads the hidden state.
            writer.AddTensor($"blk.0.{name}", type, [rows, name == "attn_output.weight" ? heads * 128 : hidden], s => s.Write(bytes));
        }
        writer.AddTensor("output_norm.weight", TensorType.F32, [hidden], s => s.Write(ones));
        writer.Write(path);
    }

    private static string ByteLevel(byte b)
    {
        // The GPT-2 byte-to-unicode table: printable Latin-1 stays, the other bytes map from U+0100 up.
        var printable = b is >= (byte)'!' and <= (byte)'~' or >= 0xA1 and <= 0xAC or >= 0xAE;
        if (printable)
        {
            return ((char)b).ToString();
        }
        var index = Enumerable.Range(0, b).Count(x => !(x is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE));
        return ((char)(256 + index)).ToString();
    }
}
