using System.Text;
using Sift.Tokenization;

namespace Sift.Tests.Tokenization;

public sealed class TokenizerTests
{
    private const int EndOfText = 151643;
    private static readonly Lazy<Tokenizer> WithTemplate = new(() => Tokenizer.Load(Fixtures.EmbeddingModel));
    private static readonly Lazy<Tokenizer> WithoutTemplate = new(() => Tokenizer.Load(Fixtures.RerankerModel));

    [Fact]
    public void EncodeWithOffsets_HalfAMegabyte_CostsAboutWhatEncodingCosts()
    {
        // Chinese words between spaces: many pieces per segment, where offsets once recounted the
        // UTF-8 bytes from the segment's start for every piece (seen: ×3.8 per doubling). Compared
        // with plain encoding of the same text in the same process, so machine load cancels out.
        var random = new Random(11);
        var words = new[] { "苹果", "手机", "电池", "续航", "怎么办", "北京", "首都", "中国" };
        var large = string.Join(' ', Enumerable.Range(0, 160_000).Select(_ => words[random.Next(words.Length)]));
        var tokenizer = WithTemplate.Value;
        double Best(Action run) => Enumerable.Range(0, 3).Min(_ =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            run();
            return clock.Elapsed.TotalMilliseconds;
        });
        var encoding = Best(() => tokenizer.Encode(large));
        var offsets = Best(() => tokenizer.EncodeWithOffsets(large));
        // Linear offsets cost about 2× encoding; the quadratic count cost ~40× at this size.
        Assert.True(offsets < 8 * encoding, $"offsets took {offsets:F0} ms, encoding {encoding:F0} ms");

        var spans = tokenizer.EncodeWithOffsets(large);
        var bytes = Encoding.UTF8.GetBytes(large);
        Assert.Equal(bytes.Length, spans[^2].End);
        // The spans tile the text's bytes exactly, in order (a token may end inside a character).
        for (var i = 1; i < spans.Count - 1; i++)
        {
            Assert.Equal(spans[i - 1].End, spans[i].Start);
        }
        Assert.Equal(0, spans[0].Start);
    }

    [Fact]
    public void Load_EmbeddingTokenizer_ReadsTemplateThatAppendsEndOfText()
    {
        Assert.Empty(WithTemplate.Value.PrefixIds);
        Assert.Equal([EndOfText], WithTemplate.Value.SuffixIds);
        Assert.Equal(151669, WithTemplate.Value.VocabularySize);
    }

    [Fact]
    public void Load_TokenizerWithoutTemplate_AddsNothing()
    {
        Assert.Empty(WithoutTemplate.Value.SuffixIds);
        Assert.Equal(WithoutTemplate.Value.Encode("Hello world", addSpecialTokens: false), WithoutTemplate.Value.Encode("Hello world"));
    }

    [Fact]
    public void Encode_WithSpecialTokens_AppendsTemplateSuffix()
    {
        Assert.Equal([9707, 1879, EndOfText], WithTemplate.Value.Encode("Hello world"));
    }

    [Fact]
    public void Encode_WithMaxLength_CutsTextAndKeepsTemplate()
    {
        var full = WithTemplate.Value.Encode("one two three four five six", addSpecialTokens: false);
        var truncated = WithTemplate.Value.Encode("one two three four five six", addSpecialTokens: true, maxLength: 4);
        Assert.Equal([.. full[..3], EndOfText], truncated);
    }

    [Fact]
    public void Encode_MaxLengthSmallerThanTemplate_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => WithTemplate.Value.Encode("x", addSpecialTokens: true, maxLength: 0));
    }

    [Fact]
    public void CountTokens_EqualsEncodedLength()
    {
        const string text = "Counting tokens: 数えるトークン, 12345 and <|im_end|>!";
        Assert.Equal(WithTemplate.Value.Encode(text).Length, WithTemplate.Value.CountTokens(text));
        Assert.Equal(WithTemplate.Value.Encode(text, false).Length, WithTemplate.Value.CountTokens(text, false));
    }

    [Theory]
    [InlineData("Hello world")]
    [InlineData("Emoji 🚀🔥 and ünïcödé, Ελληνικά, русский, 日本語")]
    [InlineData("def f(x):\n\treturn x  # two spaces\r\n")]
    [InlineData("<|im_start|>user\nhi<|im_end|>")]
    public void Decode_OfEncode_ReturnsNfcText(string text)
    {
        var tokenizer = WithTemplate.Value;
        Assert.Equal(text.Normalize(NormalizationForm.FormC), tokenizer.Decode(tokenizer.Encode(text, false)));
    }

    [Fact]
    public void Decode_SkipSpecialTokens_DropsControlTokens()
    {
        var tokenizer = WithTemplate.Value;
        Assert.Equal("hi", tokenizer.Decode(tokenizer.Encode("<|im_start|>hi<|endoftext|>", false), skipSpecialTokens: true));
    }

    [Fact]
    public void Decode_UnknownId_NamesTheId()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => WithTemplate.Value.Decode([1, 999_999]));
        Assert.Contains("999999", error.Message);
    }

    [Fact]
    public void Encode_SpecialTokenInText_IsOneToken()
    {
        Assert.Equal([151644, 872], WithTemplate.Value.Encode("<|im_start|>user", false));
    }

    [Fact]
    public void TokenToId_KnowsVocabularyAndAddedTokens()
    {
        Assert.Equal(9693, WithTemplate.Value.TokenToId("yes"));
        Assert.Equal(2152, WithTemplate.Value.TokenToId("no"));
        Assert.Equal(151667, WithTemplate.Value.TokenToId("<think>"));
        Assert.Null(WithTemplate.Value.TokenToId("definitely-not-a-token"));
    }

    [Fact]
    public void Encode_VeryLongWord_UsesHeapMergeWithSameResultAsChunks()
    {
        // 5000 letters go through the heap path; the 2-letter pair merges must tile it like the linear path.
        var tokenizer = WithTemplate.Value;
        var ids = tokenizer.Encode(new string('a', 5000), false);
        Assert.Equal(new string('a', 5000), tokenizer.Decode(ids));
        Assert.True(ids.Length < 5000 / 4, $"expected merges to compress 5000 letters, got {ids.Length} ids");
    }

    [Fact]
    public void Load_MissingFile_NamesThePath()
    {
        var error = Assert.Throws<TokenizerException>(() => Tokenizer.Load("/nonexistent/dir/tokenizer.json"));
        Assert.Contains("/nonexistent/dir/tokenizer.json", error.Message);
    }

    [Fact]
    public void Parse_InvalidJson_SaysSo()
    {
        var error = Assert.Throws<TokenizerException>(() => Tokenizer.Parse("{\"model\": "u8));
        Assert.Contains("not valid JSON", error.Message);
    }

    [Fact]
    public void Parse_UnsupportedModelType_NamesTheType()
    {
        var error = Assert.Throws<TokenizerException>(() => Tokenizer.Parse("{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}"u8));
        Assert.Contains("Unigram", error.Message);
    }
}
