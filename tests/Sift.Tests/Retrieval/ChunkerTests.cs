using Sift.Retrieval;
using Sift.Tokenization;

namespace Sift.Tests.Retrieval;

/// <summary>Token windows with the model's own tokenizer, cut back to text.</summary>
public sealed class ChunkerTests
{
    private static readonly Lazy<Tokenizer> Tokenizer = new(() => Sift.Tokenization.Tokenizer.Load(Fixtures.EmbeddingModel));

    [Fact]
    public void Split_ShortText_IsOneChunkHoldingExactlyTheText()
    {
        var chunk = Assert.Single(Chunker.Split(Tokenizer.Value, "Beijing is the capital of China.", 16, 4));
        Assert.Equal("Beijing is the capital of China.", chunk.Text);
        Assert.Equal(Tokenizer.Value.Encode("Beijing is the capital of China.", addSpecialTokens: false).Length, chunk.TokenCount);
    }

    [Fact]
    public void Split_LongText_WindowsOverlapByTheGivenTokensAndCoverTheText()
    {
        var text = string.Join(" ", Enumerable.Range(0, 60).Select(i => $"word{i}"));
        var ids = Tokenizer.Value.Encode(text, addSpecialTokens: false);

        var chunks = Chunker.Split(Tokenizer.Value, text, 20, 5);

        Assert.Equal((int)Math.Ceiling((ids.Length - 5) / 15.0), chunks.Count);
        Assert.All(chunks.SkipLast(1), c => Assert.Equal(20, c.TokenCount));
        Assert.Equal(Enumerable.Range(0, chunks.Count), chunks.Select(c => c.Index));
        Assert.StartsWith(chunks[0].Text, text);
        Assert.EndsWith(chunks[^1].Text, text);
        for (var i = 0; i < chunks.Count; i++)
        {
            // Window i starts at token 15·i: its text is the decoded ids of exactly that window.
            var end = Math.Min(i * 15 + 20, ids.Length);
            Assert.Equal(Tokenizer.Value.Decode(ids.AsSpan(i * 15, end - i * 15)), chunks[i].Text);
        }
    }

    [Fact]
    public void Split_ChineseText_CutsOnlyAtCharacterBoundaries()
    {
        var text = string.Concat(Enumerable.Repeat("上海是中国最大的城市，也是重要的金融中心。北京是首都。", 8));

        var chunks = Chunker.Split(Tokenizer.Value, text, 16, 4);

        Assert.True(chunks.Count > 3);
        Assert.All(chunks, c => Assert.DoesNotContain('\uFFFD', c.Text));
        Assert.All(chunks, c => Assert.Contains(c.Text, text));
        Assert.StartsWith(chunks[0].Text, text);
        Assert.EndsWith(chunks[^1].Text, text);
    }
}
