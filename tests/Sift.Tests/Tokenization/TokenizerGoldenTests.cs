using System.Text.Json;
using Sift.Tokenization;

namespace Sift.Tests.Tokenization;

public sealed class TokenizerGoldenTests
{
    private static readonly Lazy<Tokenizer> Qwen3 = new(() => Tokenizer.Load(Fixtures.EmbeddingModel));

    public static TheoryData<string, int[]> SharedGoldenCases() => ReadCases(Fixtures.TokenizerGolden);

    public static TheoryData<string, int[]> AddedGoldenCases() => ReadCases(Fixtures.Golden("tokenizer-extra.json"));

    [Theory]
    [MemberData(nameof(SharedGoldenCases))]
    public void Encode_SharedGoldenCase_MatchesReferenceIds(string text, int[] expected)
    {
        Assert.Equal(expected, Qwen3.Value.Encode(text, addSpecialTokens: false));
    }

    [Theory]
    [MemberData(nameof(AddedGoldenCases))]
    public void Encode_AddedGoldenCase_MatchesReferenceIds(string text, int[] expected)
    {
        Assert.Equal(expected, Qwen3.Value.Encode(text, addSpecialTokens: false));
    }

    private static TheoryData<string, int[]> ReadCases(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var data = new TheoryData<string, int[]>();
        foreach (var item in document.RootElement.GetProperty("cases").EnumerateArray())
        {
            // Lone surrogates cannot be read from a JSON string, so the added cases carry UTF-16 code units.
            var text = item.TryGetProperty("utf16", out var units)
                ? new string(units.EnumerateArray().Select(u => (char)u.GetInt32()).ToArray())
                : item.GetProperty("text").GetString()!;
            data.Add(text, item.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray());
        }
        return data;
    }
}
