using System.Reflection;
using System.Text;
using Sift.Tokenization;

namespace Sift.Tests.Tokenization;

/// <summary>
/// The limited encodings (refuse past a count, or stop after a prefix) against the whole encoding:
/// every limit on both sides of each text's true count, and the lower bound that refuses early.
/// </summary>
public sealed class TokenizerLimitTests
{
    private static readonly Lazy<Tokenizer> Tokenizer = new(() => Sift.Tokenization.Tokenizer.Load(Fixtures.EmbeddingModel));

    private static readonly string[] Texts =
    [
        "Hello, world! It's 2026 and we're testing the tokenizer's limits.",
        "北京是中国的首都。苹果手机的电池续航怎么办？",
        "<|im_start|>user\nWhat is 12345 + 678?<|im_end|>\n<|im_start|>assistant\n",
        "e\u0301te\u0301 cafe\u0301 \u1100\u1161\u11a8 😀😀 𝐀𝐁𝐂 a\u0301\u0301\u0301",
        "    indented\n\n\n\tcode();   // trailing   \r\n" + new string('-', 300) + "\n" + new string('a', 200),
        new string('a', 1000) + " " + new string(' ', 500) + "!!!!!!" + new string('7', 20),
    ];

    [Fact]
    public void TryEncodeContent_EveryLimitAroundTheCount_AgreesWithTheWholeEncoding()
    {
        foreach (var text in Texts)
        {
            var whole = new List<int>();
            Tokenizer.Value.EncodeContent(text, whole);
            foreach (var limit in Limits(whole.Count))
            {
                var ids = new List<int> { 42 };
                var fits = Tokenizer.Value.TryEncodeContent(text, ids, limit);
                Assert.Equal(whole.Count <= limit, fits);
                if (fits)
                {
                    Assert.Equal([42, .. whole], ids);
                }
                else
                {
                    // Whatever was encoded before it stopped is the whole encoding's start.
                    Assert.Equal(whole.Take(ids.Count - 1), ids.Skip(1));
                }
            }
        }
    }

    [Fact]
    public void EncodeContentPrefix_EveryLimitAroundTheCount_IsTheWholeEncodingsStart()
    {
        foreach (var text in Texts)
        {
            var whole = new List<int>();
            Tokenizer.Value.EncodeContent(text, whole);
            foreach (var limit in Limits(whole.Count))
            {
                var ids = new List<int> { 42 };
                var complete = Tokenizer.Value.EncodeContentPrefix(text, ids, limit);
                Assert.Equal(whole.Count <= limit, complete);
                if (complete)
                {
                    Assert.Equal([42, .. whole], ids);
                }
                else
                {
                    Assert.True(ids.Count - 1 > limit, $"limit {limit}: stopped with {ids.Count - 1} ids");
                    Assert.Equal(whole.Take(ids.Count - 1), ids.Skip(1));
                }
            }
        }
    }

    [Fact]
    public void TryEncodeContent_MegabyteOfOneLetter_IsRefusedByTheLowerBoundWithoutEncoding()
    {
        // 2^20 letters: the bound (R('a') = 8 in Qwen's vocabulary) says at least 131,070 ids, and the
        // whole encoding has 131,072. Below the bound: refused before any BPE; between bound and count:
        // encoded, then refused; at the count: accepted. Timing is the server tests' business.
        var text = new string('a', 1 << 20);
        var whole = new List<int>();
        Tokenizer.Value.EncodeContent(text, whole);
        Assert.Equal(131_072, whole.Count);
        var refused = new List<int>();
        Assert.False(Tokenizer.Value.TryEncodeContent(text, refused, 131_069));
        Assert.Empty(refused);
        var encodedThenRefused = new List<int>();
        Assert.False(Tokenizer.Value.TryEncodeContent(text, encodedThenRefused, 131_070));
        Assert.Equal(whole, encodedThenRefused);
        var fitting = new List<int>();
        Assert.True(Tokenizer.Value.TryEncodeContent(text, fitting, 131_072));
        Assert.Equal(whole, fitting);
    }

    [Fact]
    public void MinimumTokens_NeverExceedsTheEncodedCount()
    {
        var model = Model();
        var random = new Random(7);
        string[] alphabet = ["a", "a", "a", "b", " ", " ", "\n", "\n", "!", "!", "-", "-", "=", "=", "7", "中", "中", "😀", "😀", "𝐀", "한", "\u0301", "\u0301", "é", "é", "ж"];
        var pieces = new List<Range>();
        var checkedPieces = 0;
        for (var trial = 0; trial < 400; trial++)
        {
            var builder = new StringBuilder();
            var length = random.Next(1, 3000);
            while (builder.Length < length)
            {
                // Runs of one character, of random lengths, the bound's tight case.
                builder.Insert(builder.Length, alphabet[random.Next(alphabet.Length)], random.Next(1, 400));
            }
            var text = builder.ToString().Normalize(NormalizationForm.FormC);
            pieces.Clear();
            Qwen2PreTokenizer.Instance.Split(text, pieces);
            foreach (var piece in pieces)
            {
                var ids = new List<int>();
                model.Encode(text.AsSpan()[piece], ids);
                Assert.True(model.MinimumTokens(text.AsSpan()[piece]) <= ids.Count, $"bound over {ids.Count} for a piece of {piece.GetOffsetAndLength(text.Length).Length} characters");
                checkedPieces++;
            }
        }
        Assert.True(checkedPieces > 1000);
        // And tight enough to matter: a run of one letter is bounded by an eighth of its length, a run
        // of 中 (at most one whole in a Qwen token, so a token touches at most 3 of them) by a third.
        Assert.Equal(125_000 - 2, model.MinimumTokens(new string('a', 1_000_000)));
        Assert.Equal(33_334 - 2, model.MinimumTokens(new string('中', 100_000)));
    }

    private static IEnumerable<int> Limits(int count) =>
        new[] { 0, 1, count / 2, count - 2, count - 1, count, count + 1, count + 2, 2 * count }.Where(l => l >= 0).Distinct();

    private static BpeModel Model() =>
        (BpeModel)typeof(Tokenizer).GetField("_model", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(Tokenizer.Value)!;
}
