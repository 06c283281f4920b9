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

    /// <summary>A one-layer qwen3 GGUF with a byte-level vocabulary of 256 bytes plus &lt;|endoftext|&gt;.</summary>
    private static void Write(string path, float[] embedding, Dictionary<string, (int Rows, TensorType Type, byte[] Bytes)> layers)
    {
        var tokens = Enumerable.Range(0, 256).Select(b => ByteLevel((byte)b)).Append("<|endoftext|>").ToArray();
        var writer = new GgufWriter()
            .Add("general.architecture", "qwen3")
            .Add("qwen3.context_length", 4096u)
            .Add("qwen3.embedding_length", (uint)Hidden)
            .Add("qwen3.block_count", 1u)
            .Add("qwen3.feed_forward_length", (uint)Hidden)
            .Add("qwen3.attention.head_count", 2u)
            .Add("qwen3.attention.head_count_kv", 1u)
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
        writer.AddTensor("token_embd.weight", TensorType.F32, [257, Hidden], s => s.Write(MemoryMarshal.AsBytes(embedding.AsSpan())));
        var ones = MemoryMarshal.AsBytes(Enumerable.Repeat(1f, Hidden).ToArray().AsSpan()).ToArray();
        writer.AddTensor("blk.0.attn_norm.weight", TensorType.F32, [Hidden], s => s.Write(ones));
        writer.AddTensor("blk.0.ffn_norm.weight", TensorType.F32, [Hidden], s => s.Write(ones));
        writer.AddTensor("blk.0.attn_q_norm.weight", TensorType.F32, [128], s => s.Write(ones, 0, 512));
        writer.AddTensor("blk.0.attn_k_norm.weight", TensorType.F32, [128], s => s.Write(ones, 0, 512));
        foreach (var (name, (rows, type, bytes)) in layers)
        {
            writer.AddTensor($"blk.0.{name}", type, [rows, Hidden], s => s.Write(bytes));
        }
        writer.AddTensor("output_norm.weight", TensorType.F32, [Hidden], s => s.Write(ones));
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
