using System.Reflection;
using System.Text;
using Sift.Tokenization;

namespace Sift.Tests.Tokenization;

/// <summary>
/// Offsets into the input as sent (TEI's /tokenize) where NFC changes the text, checked against
/// what each token's bytes must be: the input's bytes themselves where NFC left them alone, or
/// bytes found in the NFC form of the input range the offsets name where it did not.
/// </summary>
public sealed class InputOffsetsTests
{
    private static readonly Lazy<Tokenizer> Tokenizer = new(() => Sift.Tokenization.Tokenizer.Load(Fixtures.EmbeddingModel));

    public static TheoryData<string> ChangedByNfc() =>
    [
        "Cafe\u0301 au lait",
        "e\u0301te\u0301 a\u0300 Pa\u0301ris",
        "\u1112\u1161\u11AB\u1100\u116E\u11A8\u110B\u1165 (Hangul jamo)",
        "mixed 中文 e\u0301 😀 𝐀𝐁 \u1100\u1161 x\u0323\u0307 tail",
        "a\u0301\u0301\u0301\u0301 and \u212B angstrom sign",
        "<|im_start|>user\nCafe\u0301<|im_end|> done e\u0301",
        "\u0301 leading mark, 😀e\u0301😀",
        "\u212B" + string.Concat(Enumerable.Repeat("中文", 40)) + "\u212B",
        "\u0BA4\u0BC6\u0BBE tamil two-part vowel, \u1025\u102E myanmar",
    ];

    [Theory]
    [MemberData(nameof(ChangedByNfc))]
    public void OffsetsIntoInput_NameInputRangesHoldingEachTokensBytes(string text)
    {
        Assert.NotEqual(text, text.Normalize(NormalizationForm.FormC));
        var input = Encoding.UTF8.GetBytes(text);
        var spans = Tokenizer.Value.TryEncodeWithOffsets(text, addSpecialTokens: false, int.MaxValue, offsetsIntoInput: true)!;
        Assert.Equal(Tokenizer.Value.Encode(text, addSpecialTokens: false), spans.Select(s => s.Id));
        Assert.Equal(0, spans[0].Start);
        Assert.Equal(input.Length, spans[^1].End);
        for (var i = 0; i < spans.Count; i++)
        {
            var span = spans[i];
            Assert.InRange(span.Start, 0, span.End);
            if (i > 0)
            {
                // In order and without gaps; tokens sharing a character NFC made share its input.
                Assert.InRange(span.Start, spans[i - 1].Start, spans[i - 1].End);
                Assert.True(span.End >= spans[i - 1].End);
            }
            var tokenBytes = TokenBytes(span.Id);
            var range = input[span.Start..span.End];
            if (range.AsSpan().SequenceEqual(tokenBytes))
            {
                continue;
            }
            var normalized = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(range).Normalize(NormalizationForm.FormC));
            Assert.True(normalized.AsSpan().IndexOf(tokenBytes) >= 0,
                $"token {i} ({Convert.ToHexString(tokenBytes)}) is not in the NFC form of input bytes {span.Start}..{span.End} ({Convert.ToHexString(range)})");
        }
    }

    [Fact]
    public void OffsetsIntoInput_ADecomposedAccent_CoversBothOfItsCharacters()
    {
        // "Cafe\u0301": NFC makes "Café" (5 bytes); in the input the accent is 'e' + U+0301, bytes 3..6.
        const string text = "Cafe\u0301";
        var spans = Tokenizer.Value.TryEncodeWithOffsets(text, addSpecialTokens: true, int.MaxValue, offsetsIntoInput: true)!;
        var accent = spans.Single(s => s.Start <= 3 && s.End > 3 && !s.Special);
        Assert.Equal((3, 6), (accent.Start, accent.End));
        // The template's <|endoftext|> sits at the input's end, not the normalized text's (5).
        Assert.Equal((6, 6), (spans[^1].Start, spans[^1].End));
        Assert.Equal(5, Tokenizer.Value.EncodeWithOffsets(text)[^1].Start);
    }

    [Fact]
    public void OffsetsIntoInput_OfTextNfcLeavesAlone_AreTheNormalizedOnes()
    {
        const string text = "Hello 中文 😀 𝐀 café, it's 2026!\n";
        var spans = Tokenizer.Value.TryEncodeWithOffsets(text, addSpecialTokens: true, int.MaxValue, offsetsIntoInput: true)!;
        Assert.Equal(Tokenizer.Value.EncodeWithOffsets(text), spans);
    }

    private static byte[] TokenBytes(int id)
    {
        var model = (BpeModel)typeof(Tokenizer).GetField("_model", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(Tokenizer.Value)!;
        return model.GetBytes(id) ?? Encoding.UTF8.GetBytes(Tokenizer.Value.Decode([id]));
    }

    [Fact]
    public void OffsetsIntoInput_ARunWithoutMarks_BetweenTwoCharactersNfcChanged_KeepsEachTokensOwnRange()
    {
        // CJK (above U+0300) between two characters NFC changes: only those two may widen; every other
        // token's range is its own bytes, so the ranges add up to about the input, not tokens × input.
        var text = "\u212B" + string.Concat(Enumerable.Repeat("中文", 2000)) + "\u212B";
        var spans = Tokenizer.Value.TryEncodeWithOffsets(text, addSpecialTokens: false, int.MaxValue, offsetsIntoInput: true)!;
        var inputBytes = Encoding.UTF8.GetByteCount(text);

        var covered = spans.Sum(s => (long)(s.End - s.Start));

        Assert.True(covered <= 2L * inputBytes, $"token ranges cover {covered} bytes of a {inputBytes}-byte input");
        Assert.All(spans.Skip(1).SkipLast(1), s => Assert.True(s.End - s.Start <= 128, $"a middle token has a {s.End - s.Start}-byte range"));
    }
}
