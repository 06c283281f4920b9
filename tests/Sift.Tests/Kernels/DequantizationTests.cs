using System.Buffers.Binary;
using System.Text.Json;
using Sift.Kernels;

namespace Sift.Tests.Kernels;

/// <summary>Against ggml's own quantizers and dequantizers (Golden/kquant-golden.json, see its generator).</summary>
public sealed class DequantizationTests
{
    public static TheoryData<string> Types() => new("Q8_0", "Q4_K", "Q5_K", "Q6_K");

    [Theory]
    [MemberData(nameof(Types))]
    public void Dequantize_GgmlBlocks_MatchGgmlsDequantizer(string type)
    {
        var (_, bytes, expected) = Case(type);
        var actual = new float[expected.Length];
        switch (type)
        {
            case "Q8_0": Dequantization.Q8_0(bytes, actual); break;
            case "Q4_K": Dequantization.Q4_K(bytes, actual); break;
            case "Q5_K": Dequantization.Q5_K(bytes, actual); break;
            default: Dequantization.Q6_K(bytes, actual); break;
        }
        for (var i = 0; i < expected.Length; i++)
        {
            // ggml's C may contract d·q − m into one FMA; allow that one rounding.
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6f * Math.Max(1, Math.Abs(expected[i])), $"{type}[{i}]: {actual[i]} vs {expected[i]}");
        }
    }

    [Fact]
    public void Q8Quantize_IsBitExactWithGgmlsReferenceQuantizer()
    {
        var (source, bytes, _) = Case("Q8_0");
        var quantized = new sbyte[32];
        for (var b = 0; b < source.Length / 32; b++)
        {
            var scale = Q8Blocks.Quantize(source.AsSpan(b * 32, 32), quantized);
            Assert.Equal((float)BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(b * 34)), scale);
            Assert.Equal(bytes.AsSpan(b * 34 + 2, 32).ToArray(), quantized.Select(q => (byte)q).ToArray());
        }
    }

    [Fact]
    public void Dequantize_PartialBlock_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => Dequantization.Q4_K(new byte[100], new float[256]));
    }

    private static (float[] Source, byte[] Bytes, float[] Values) Case(string type)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Fixtures.Golden("kquant-golden.json")));
        var item = document.RootElement.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("type").GetString() == type);
        return (item.GetProperty("source").EnumerateArray().Select(v => v.GetSingle()).ToArray(),
            Convert.FromBase64String(item.GetProperty("bytes").GetString()!),
            item.GetProperty("values").EnumerateArray().Select(v => v.GetSingle()).ToArray());
    }
}
