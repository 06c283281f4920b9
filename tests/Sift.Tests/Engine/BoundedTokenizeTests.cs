using Sift.Engine;
using Sift.Tokenization;

namespace Sift.Tests.Engine;

/// <summary>
/// The embedder and reranker encode a too-long text only as far as their answer needs; these tests
/// hold them to what encoding the whole text and then cutting or refusing gives, at every maximum
/// length around each text's true count (the thresholds where the early stop starts or ends).
/// </summary>
public sealed class BoundedTokenizeTests
{
    private const int EndOfText = 151643;

    private static readonly string[] Texts =
    [
        "What is the capital of China? Beijing is the capital and Shanghai the largest city.",
        "北京是中国的首都。苹果手机的电池续航怎么办？" + new string('a', 300) + " tail",
        "ends with the template token<|endoftext|>",
        "e\u0301te\u0301 \u1100\u1161\u11a8 😀😀 𝐀𝐁𝐂 " + new string(' ', 200) + "!!!",
    ];

    [Fact]
    public void Tokenize_TruncateFromTheEnd_IsTheWholeEncodingCut()
    {
        var embedder = ModelFixtures.Embedder.Value;
        foreach (var text in Texts)
        {
            var whole = Whole(embedder.Tokenizer, text);
            foreach (var maxLength in Lengths(whole.Count))
            {
                var expected = whole.Count > maxLength ? [.. whole[..(maxLength - 1)], EndOfText] : whole;
                var ids = embedder.Tokenize(EmbeddingInput.Document(text), 0, new EmbedOptions { MaxLength = maxLength, Truncate = true });
                Assert.Equal(expected, ids);
            }
        }
    }

    [Fact]
    public void Tokenize_WithoutTruncation_RefusesExactlyTheTextsOverTheLimit_NamingTheirCount()
    {
        var embedder = ModelFixtures.Embedder.Value;
        foreach (var text in Texts)
        {
            var whole = Whole(embedder.Tokenizer, text);
            foreach (var maxLength in Lengths(whole.Count))
            {
                var options = new EmbedOptions { MaxLength = maxLength, Truncate = false };
                if (whole.Count <= maxLength)
                {
                    Assert.Equal(whole, embedder.Tokenize(EmbeddingInput.Document(text), 0, options));
                    continue;
                }
                var error = Assert.Throws<SiftRequestException>(() => embedder.Tokenize(EmbeddingInput.Document(text), 2, options));
                // Under RefusalCount (65,536 here) the count is exact, as before the early stop.
                Assert.Equal($"input 2 has {whole.Count} tokens; the limit is {maxLength} (ask for truncation to cut it)", error.Message);
            }
        }
    }

    [Fact]
    public void Tokenize_FarOverTheLimit_IsNamedAsLongerThanTheCountedTokens()
    {
        // 2^20 letters make 131,072 tokens, past RefusalCount(512) = 65,536: refused from the lower bound.
        var error = Assert.Throws<SiftRequestException>(() =>
            ModelFixtures.Embedder.Value.Tokenize(EmbeddingInput.Document(new string('a', 1 << 20)), 0, new EmbedOptions { MaxLength = 512, Truncate = false }));
        Assert.Equal("input 0 has more than 65536 tokens; the limit is 512 (ask for truncation to cut it)", error.Message);
        Assert.Equal("input_too_long", error.Code);
    }

    [Fact]
    public void RerankBuildInputs_IsTheWholeBodyCut_AtEveryLengthAroundIt()
    {
        var reranker = ModelFixtures.Reranker.Value;
        var tokenizer = reranker.Tokenizer;
        var prefix = tokenizer.Encode(Prompts.RerankPrefix, addSpecialTokens: false);
        var suffix = tokenizer.Encode(Prompts.RerankSuffix, addSpecialTokens: false);
        const string query = "capital of China";
        foreach (var document in Texts)
        {
            var body = tokenizer.Encode(Prompts.RerankBody(query, document), addSpecialTokens: false);
            var whole = prefix.Length + body.Length + suffix.Length;
            foreach (var maxLength in Lengths(whole).Where(l => l > prefix.Length + suffix.Length))
            {
                var keep = Math.Min(body.Length, maxLength - prefix.Length - suffix.Length);
                int[] expected = [.. prefix, .. body[..keep], .. suffix];
                var prompt = reranker.BuildInput(query, document, new RerankOptions { MaxLength = maxLength });
                Assert.Equal(expected, prompt);
            }
        }
    }

    private static List<int> Whole(Tokenizer tokenizer, string text)
    {
        var ids = tokenizer.Encode(text, addSpecialTokens: false).ToList();
        if (ids.Count == 0 || ids[^1] != EndOfText)
        {
            ids.Add(EndOfText);
        }
        return ids;
    }

    private static IEnumerable<int> Lengths(int count) =>
        new[] { 2, 3, count / 2, count - 2, count - 1, count, count + 1, count + 2 }.Where(l => l >= 2).Distinct();
}
