using Sift.Abstractions;
using Sift.Engine;
using Sift.Engine.LongDocuments;

namespace Sift.Tests.Engine.LongDocuments;

/// <summary>Chunk mode in the engine: the document's result from its windows, each window checked against running it alone.</summary>
public sealed class LongDocumentEngineTests
{
    private const int Limit = 16;
    private const int Overlap = 4;
    private static Embedder Embedder => ModelFixtures.Embedder.Value;
    private static Reranker Reranker => ModelFixtures.Reranker.Value;

    /// <summary>About 60 tokens of text: several 15-token windows.</summary>
    internal const string LongText =
        "Sift reads long documents in overlapping windows. Each window holds the limit less one token, then the end of text. "
        + "The document's vector is the mean of its windows, each weighted by the tokens it read. "
        + "A reranker scores a long document by its best window.";

    private static EmbedOptions Chunk(int? dimensions = null, bool returnWindows = false) => new()
    {
        MaxLength = Limit,
        Dimensions = dimensions,
        Truncate = false,
        Windows = new WindowOptions { Overlap = Overlap, ReturnWindows = returnWindows },
    };

    [Fact]
    public void Embed_ChunkModeInputThatFits_IsBitwiseTheSinglePass()
    {
        var input = EmbeddingInput.Document("Short enough.");
        var single = Embedder.Embed([input], new EmbedOptions { MaxLength = Limit, Truncate = false })[0];
        var chunked = Embedder.Embed([input], Chunk(returnWindows: true))[0];
        Assert.Equal(single.Vector, chunked.Vector);
        Assert.Equal(single.TokenCount, chunked.TokenCount);
        var window = Assert.Single(chunked.Windows!);
        Assert.Equal(new WindowSpan(0, single.TokenCount - 1), window.Span);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(32)]
    public void Embed_LongDocument_IsTheTokenWeightedMeanOfItsWindowsEmbeddedOneByOne(int? dimensions)
    {
        var content = Embedder.Tokenizer.Encode(LongText, addSpecialTokens: false);
        Assert.True(content.Length > 3 * Limit, $"the text has {content.Length} tokens; the test needs several windows");
        var result = Embedder.Embed([EmbeddingInput.Document(LongText)], Chunk(dimensions, returnWindows: true))[0];

        // The windows as the issue defines them, computed here: starts 0, step, 2·step, ..., the last reaching n.
        var window = Limit - 1;
        var step = window - Overlap;
        var spans = new List<(int Start, int End)>();
        for (var start = 0; ; start += step)
        {
            spans.Add((start, Math.Min(start + window, content.Length)));
            if (start + window >= content.Length)
            {
                break;
            }
        }
        Assert.Equal(spans, result.Windows!.Select(w => (w.Span.Start, w.Span.End)));

        // Each window embedded alone through the same API as token ids, at full width.
        var alone = Embedder.Embed(spans.Select(s => EmbeddingInput.Tokens(content[s.Start..s.End])).ToArray(), new EmbedOptions { MaxLength = Limit, Truncate = false });
        var mean = new double[Embedder.Dimensions];
        var total = 0.0;
        for (var k = 0; k < spans.Count; k++)
        {
            var weight = spans[k].End - spans[k].Start;
            for (var i = 0; i < mean.Length; i++)
            {
                mean[i] += weight * alone[k].Vector[i];
            }
            total += weight;
        }
        var width = dimensions ?? mean.Length;
        var cut = mean.Take(width).Select(v => v / total).ToArray();
        var norm = Math.Sqrt(cut.Sum(v => v * v));
        var expected = cut.Select(v => v / norm).ToArray();

        Assert.Equal(width, result.Vector.Length);
        for (var i = 0; i < width; i++)
        {
            Assert.True(Math.Abs(expected[i] - result.Vector[i]) <= 1e-6, $"component {i}: expected {expected[i]}, got {result.Vector[i]}");
        }
        Assert.Equal(spans.Sum(s => s.End - s.Start + 1), result.TokenCount);
        // A returned window is what embedding its tokens alone gives (finished at the request's width).
        var aloneAtWidth = Embedder.Embed(spans.Select(s => EmbeddingInput.Tokens(content[s.Start..s.End])).ToArray(),
            new EmbedOptions { MaxLength = Limit, Dimensions = dimensions });
        Assert.Equal(aloneAtWidth.Select(a => a.Vector), result.Windows!.Select(w => w.Vector));
    }

    [Fact]
    public void Embed_ChunkModeQueryOverTheLimit_IsNeverWindowed()
    {
        var query = EmbeddingInput.Query(LongText);
        var error = Assert.Throws<SiftRequestException>(() => Embedder.Embed([query], Chunk()));
        Assert.Equal("input_too_long", error.Code);
        var truncated = Embedder.Embed([query], Chunk() with { Truncate = true })[0];
        Assert.Equal(Embedder.Embed([query], new EmbedOptions { MaxLength = Limit })[0].Vector, truncated.Vector);
        Assert.Equal(Limit, truncated.TokenCount);
    }

    [Fact]
    public void Embed_ChunkModeWithTooFewWindowsAllowed_NamesTheLimit()
    {
        var options = Chunk() with { Windows = new WindowOptions { Overlap = Overlap, MaxWindows = 2 } };
        var error = Assert.Throws<SiftRequestException>(() => Embedder.Embed([EmbeddingInput.Document("x"), EmbeddingInput.Document(LongText)], options));
        Assert.StartsWith("document 1 has ", error.Message);
        Assert.EndsWith("the limit is 2 windows (--max-windows)", error.Message);
    }

    [Fact]
    public void Prepare_ChunkModeRequestOverTheTokenLimit_IsRefusedNamingTheTokensAndTheLimit()
    {
        // Step 1 (overlap W − 1): every token starts a window, the multiplication a client's overlap can ask for.
        var inputs = new[] { EmbeddingInput.Document("x"), EmbeddingInput.Document(LongText) };
        var greedy = Chunk() with { Windows = new WindowOptions { Overlap = Limit - 2, MaxWindows = 1000 } };
        var read = Embedder.Prepare(inputs, null, greedy).Sequences.Sum(s => s.Length);
        var content = Embedder.Tokenizer.Encode(LongText, addSpecialTokens: false).Length;
        // "x" and its <|endoftext|>, then n − W + 1 windows of W content tokens and one <|endoftext|> each.
        var x = Embedder.Tokenizer.Encode("x", addSpecialTokens: false).Length + 1;
        Assert.Equal(x + (content - (Limit - 1) + 1) * Limit, read);

        var atLimit = Embedder.Prepare(inputs, null, greedy with { Windows = greedy.Windows! with { MaxTokens = read } });
        Assert.Equal(read, atLimit.Sequences.Sum(s => s.Length));
        var error = Assert.Throws<SiftRequestException>(() => Embedder.Prepare(inputs, null, greedy with { Windows = greedy.Windows! with { MaxTokens = read - 1 } }));
        Assert.Equal($"the inputs up to input 1 read {read} tokens in windows; the limit is {read - 1} tokens per request (--max-window-tokens): "
            + "send fewer or shorter inputs, or a smaller window_overlap", error.Message);
        Assert.Equal("too_many_tokens", error.Code);
        Assert.Equal("input", error.Param);
    }

    [Fact]
    public void PrepareRerank_ChunkModeRequestOverTheTokenLimit_IsRefusedNamingTheTokensAndTheLimit()
    {
        var options = new RerankOptions { MaxLength = 100, Windows = new WindowOptions { Overlap = 3, MaxWindows = 1000 } };
        var batch = Reranker.Prepare("q", ["short", LongText], null, options);
        // What the request reads: the shared prefix once, then each prompt's own tokens (as usage counts them).
        var read = batch.Sequences[0].Prefix!.Length + batch.Sequences.Sum(s => s.Tokens.Length);
        Assert.True(batch.Sequences.Count > 2, "the long document needs several windows");
        Assert.Equal(batch.Sequences.Count, Reranker.Prepare("q", ["short", LongText], null, options with { Windows = options.Windows! with { MaxTokens = read } }).Sequences.Count);
        var error = Assert.Throws<SiftRequestException>(() =>
            Reranker.Prepare("q", ["short", LongText], null, options with { Windows = options.Windows! with { MaxTokens = read - 1 } }));
        Assert.StartsWith($"the documents up to document 1 read {read} tokens in windows; the limit is {read - 1} tokens per request (--max-window-tokens)", error.Message);
        Assert.Equal(("documents", "too_many_tokens"), (error.Param, error.Code));
    }

    [Fact]
    public void Embed_ChunkModeWithoutNormalization_IsTheWeightedMeanOfTheWindowsRawStates()
    {
        var content = Embedder.Tokenizer.Encode(LongText, addSpecialTokens: false);
        var raw = Chunk(returnWindows: true) with { Normalize = false };
        var result = Embedder.Embed([EmbeddingInput.Document(LongText)], raw)[0];
        var spans = result.Windows!.Select(w => w.Span).ToArray();
        Assert.True(spans.Length >= 3, $"{spans.Length} windows; the test needs several");
        var alone = Embedder.Embed(spans.Select(s => EmbeddingInput.Tokens(content[s.Start..s.End])).ToArray(), new EmbedOptions { MaxLength = Limit, Normalize = false });
        var total = spans.Sum(s => (double)s.Length);
        for (var i = 0; i < Embedder.Dimensions; i++)
        {
            var expected = spans.Select((s, k) => s.Length * (double)alone[k].Vector[i]).Sum() / total;
            Assert.True(Math.Abs(expected - result.Vector[i]) <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"component {i}: expected {expected}, got {result.Vector[i]}");
        }
        // On the scale of a document read in one pass: a fitting input's raw state.
        var single = Embedder.Embed([EmbeddingInput.Tokens(content[..(Limit - 1)])], new EmbedOptions { MaxLength = Limit, Normalize = false })[0];
        var ratio = System.Numerics.Tensors.TensorPrimitives.Norm(result.Vector) / System.Numerics.Tensors.TensorPrimitives.Norm(single.Vector);
        Assert.InRange(ratio, 0.5f, 2f);
    }

    [Fact]
    public void Score_ChunkModeDocumentThatFits_IsBitwiseTheTruncatedPass()
    {
        var plain = Reranker.Score("what is sift?", ["Sift embeds and reranks text."])[0];
        var chunked = Reranker.Score("what is sift?", ["Sift embeds and reranks text."], new RerankOptions { Windows = new WindowOptions { Overlap = Overlap } })[0];
        Assert.Equal(plain.LogitYes, chunked.LogitYes);
        Assert.Equal(plain.LogitNo, chunked.LogitNo);
        Assert.Equal(plain.TokenCount, chunked.TokenCount);
        Assert.Equal(new DocumentWindow(0, 0, chunked.TokenCount - Reranker.BuildInput("what is sift?", "", new RerankOptions()).Length + 1, 1), chunked.Window);
    }

    [Fact]
    public void Score_LongDocument_IsTheBestOfItsWindowsEachRunAlone()
    {
        const string query = "how are long documents scored?";
        var shared = Reranker.Tokenizer.Encode(Prompts.RerankPrefix + Prompts.RerankSharedBody(query), addSpecialTokens: false);
        var suffix = Reranker.Tokenizer.Encode(Prompts.RerankSuffix, addSpecialTokens: false);
        var content = Reranker.Tokenizer.Encode(Prompts.RerankDocumentPart(LongText), addSpecialTokens: false);
        var maxLength = shared.Length + suffix.Length + 12;
        var options = new RerankOptions { MaxLength = maxLength, Windows = new WindowOptions { Overlap = 3 } };

        var scores = Reranker.Score(query, ["A short one.", LongText], options);

        // Windows of 12 document tokens stepping by 9, each prompt built and run whole (no shared prefix) here.
        var prompts = new List<int[]>();
        for (var start = 0; ; start += 9)
        {
            var end = Math.Min(start + 12, content.Length);
            prompts.Add([.. shared, .. content[start..end], .. suffix]);
            if (end == content.Length)
            {
                break;
            }
        }
        var hidden = Reranker.ComputeHidden(prompts.Select(p => new ModelSequence(p)).ToArray(), CancellationToken.None);
        var windowScores = hidden.Select((h, k) => Reranker.ScoreHidden(1, h, prompts[k].Length)).ToArray();
        var best = Enumerable.Range(0, windowScores.Length).MaxBy(k => windowScores[k].Logit);

        Assert.True(prompts.Count > 3);
        Assert.Equal(windowScores[best].LogitYes, scores[1].LogitYes, 1e-6f);
        Assert.Equal(windowScores[best].LogitNo, scores[1].LogitNo, 1e-6f);
        Assert.Equal(windowScores[best].Score, scores[1].Score, 1e-6f);
        Assert.Equal(new DocumentWindow(best, best * 9, Math.Min(best * 9 + 12, content.Length), prompts.Count), scores[1].Window);
        Assert.Equal(shared.Length + prompts.Sum(p => p.Length - shared.Length), scores[1].TokenCount);
    }

    [Fact]
    public void Score_ChunkModeQueryThatLeavesNoRoom_NamesWhatTheQueryTakes()
    {
        var error = Assert.Throws<SiftRequestException>(() =>
            Reranker.Score(LongText, ["doc"], new RerankOptions { MaxLength = 80, Windows = new WindowOptions { Overlap = 0 } }));
        Assert.Contains("of the 80-token limit; no room is left for the document", error.Message);
    }

    [Fact]
    public void Score_ErrorModeQueryThatLeavesNoRoom_NamesTheQuery()
    {
        var error = Assert.Throws<SiftRequestException>(() =>
            Reranker.Score(LongText, ["doc"], new RerankOptions { MaxLength = 80, Truncate = false }));
        Assert.Contains("of the 80-token limit; no room is left for the document", error.Message);
        Assert.Equal(("query", "input_too_long"), (error.Param, error.Code));
    }

    [Fact]
    public async Task RerankAsync_WindowSettingsOutsideChunk_NameTheSettingGiven()
    {
        var overlap = await Assert.ThrowsAsync<SiftRequestException>(() => Reranker.RerankAsync("q", ["doc"], new RerankingOptions { WindowOverlap = 4 }, TestContext.Current.CancellationToken));
        Assert.Equal("window_overlap", overlap.Param);
        var windows = await Assert.ThrowsAsync<SiftRequestException>(() => Reranker.RerankAsync("q", ["doc"], new RerankingOptions { ReturnWindows = true }, TestContext.Current.CancellationToken));
        Assert.Equal("return_windows", windows.Param);
    }

    [Fact]
    public void Score_ErrorModeDocumentOverTheLimit_IsRefused()
    {
        var error = Assert.Throws<SiftRequestException>(() =>
            Reranker.Score("q", ["fits", LongText], new RerankOptions { MaxLength = 100, Truncate = false }));
        Assert.StartsWith("document 1 makes a prompt of ", error.Message);
        Assert.EndsWith("tokens; the limit is 100 (ask for truncation to cut it)", error.Message);
    }
}
