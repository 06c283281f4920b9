using System.Text.Json;
using Sift.Engine;
using Sift.Engine.LongDocuments;
using Sift.Tests.Engine;
using Sift.Tests.Engine.LongDocuments;

namespace Sift.Tests.Cli;

/// <summary>--long-documents, --window-overlap, --max-windows and --return-windows on sift embed and sift rerank.</summary>
public sealed class CliLongDocumentTests
{
    private static JsonElement[] Lines(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();

    private static float[] Numbers(JsonElement element, string name) => element.GetProperty(name).EnumerateArray().Select(v => v.GetSingle()).ToArray();

    [Fact]
    public async Task Embed_Chunk_WritesTheEnginesWindowedVectorAndItsWindows()
    {
        var stdin = CliRunner.Lines(JsonSerializer.Serialize("Short."), JsonSerializer.Serialize(LongDocumentEngineTests.LongText));
        var (exitCode, output, error) = await CliRunner.RunAsync(stdin,
            "embed", "--model", Fixtures.EmbeddingModel, "--max-length", "16", "--long-documents", "chunk", "--window-overlap", "4", "--return-windows");

        Assert.True(exitCode == 0, error);
        var lines = Lines(output);
        var expected = ModelFixtures.Embedder.Value.Embed([EmbeddingInput.Document("Short."), EmbeddingInput.Document(LongDocumentEngineTests.LongText)],
            new EmbedOptions { MaxLength = 16, Windows = new WindowOptions { Overlap = 4, ReturnWindows = true } });
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(expected[i].Vector, Numbers(lines[i], "embedding"));
            Assert.Equal(expected[i].TokenCount, lines[i].GetProperty("tokens").GetInt32());
            var windows = lines[i].GetProperty("windows").EnumerateArray().ToArray();
            Assert.Equal(expected[i].Windows!.Select(w => (w.Span.Start, w.Span.End)), windows.Select(w => (w.GetProperty("start").GetInt32(), w.GetProperty("end").GetInt32())));
            Assert.Equal(expected[i].Windows!.Select(w => w.Vector), windows.Select(w => Numbers(w, "embedding")));
        }
        Assert.True(lines[1].GetProperty("windows").GetArrayLength() > 3);
    }

    [Fact]
    public async Task Embed_ChunkWithoutAnOverlap_UsesHalfASmallWindow()
    {
        // The default overlap, 1280, is more than --max-length 16 leaves; unasked, it is capped at half the window (7).
        var (exitCode, output, error) = await CliRunner.RunAsync(CliRunner.Lines(JsonSerializer.Serialize(LongDocumentEngineTests.LongText)),
            "embed", "--model", Fixtures.EmbeddingModel, "--max-length", "16", "--long-documents", "chunk", "--return-windows");
        Assert.True(exitCode == 0, error);
        var expected = ModelFixtures.Embedder.Value.Embed([EmbeddingInput.Document(LongDocumentEngineTests.LongText)],
            new EmbedOptions { MaxLength = 16, Windows = new WindowOptions { Overlap = 7, ReturnWindows = true } })[0];
        Assert.Equal(expected.Vector, Numbers(Lines(output)[0], "embedding"));
    }

    [Theory]
    [InlineData("--window-overlap", "15", "window overlap 15 must be smaller than the window of 15 document tokens")]
    [InlineData("--max-windows", "2", "the limit is 2 windows (--max-windows)", "4")]
    [InlineData("--window-overlap", "-3", "--window-overlap must be zero or more, got -3")]
    [InlineData("--max-windows", "0", "--max-windows must be positive, got 0")]
    [InlineData("--max-window-tokens", "20", "tokens in windows; the limit is 20 tokens per request (--max-window-tokens)", "4")]
    [InlineData("--max-window-tokens", "0", "--max-window-tokens must be positive, got 0")]
    public async Task Embed_ChunkWithBadWindowSettings_FailsWithOneClearLine(string flag, string value, string message, string? overlap = null)
    {
        string[] args = ["embed", "--model", Fixtures.EmbeddingModel, "--max-length", "16", "--long-documents", "chunk", flag, value];
        var (exitCode, output, error) = await CliRunner.RunAsync(CliRunner.Lines(JsonSerializer.Serialize(LongDocumentEngineTests.LongText)),
            overlap is null ? args : [.. args, "--window-overlap", overlap]);
        Assert.NotEqual(0, exitCode);
        Assert.Empty(output);
        Assert.Contains(message, error);
    }

    [Fact]
    public async Task Embed_UnknownStrategyOrWindowsWithoutChunk_FailsNamingTheFlag()
    {
        var (badCode, _, badError) = await CliRunner.RunAsync(CliRunner.Lines("\"x\""), "embed", "--model", Fixtures.EmbeddingModel, "--long-documents", "split");
        Assert.NotEqual(0, badCode);
        Assert.Contains("split", badError);
        var (code, _, error) = await CliRunner.RunAsync(CliRunner.Lines("\"x\""), "embed", "--model", Fixtures.EmbeddingModel, "--return-windows");
        Assert.NotEqual(0, code);
        Assert.Contains("--return-windows needs --long-documents chunk", error);
    }

    [Fact]
    public async Task Embed_LongDocumentsError_RefusesTheLongInput()
    {
        var (exitCode, _, error) = await CliRunner.RunAsync(CliRunner.Lines(JsonSerializer.Serialize(LongDocumentEngineTests.LongText)),
            "embed", "--model", Fixtures.EmbeddingModel, "--max-length", "16", "--long-documents", "error");
        Assert.Equal(1, exitCode);
        Assert.Contains("input 0 has ", error);
        Assert.Contains("the limit is 16", error);
    }

    [Fact]
    public async Task Rerank_Chunk_ScoresEachDocumentByItsBestWindowAsTheEngineDoes()
    {
        const string query = "how are long documents scored?";
        var reranker = ModelFixtures.Reranker.Value;
        var maxLength = reranker.BuildInput(query, "", new RerankOptions()).Length + 12;
        var documents = new[] { "A short one.", LongDocumentEngineTests.LongText };
        var (exitCode, output, error) = await CliRunner.RunAsync(CliRunner.Lines(documents.Select(d => JsonSerializer.Serialize(d)).ToArray()),
            "rerank", "--model", Fixtures.RerankerModel, "--query", query, "--max-length", maxLength.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--long-documents", "chunk", "--window-overlap", "3", "--return-windows");

        Assert.True(exitCode == 0, error);
        var expected = Reranker.Load(new ModelOptions { Model = Fixtures.RerankerModel, MaxLength = maxLength })
            .Score(query, documents, new RerankOptions { Windows = new WindowOptions { Overlap = 3 } });
        foreach (var line in Lines(output))
        {
            var score = expected[line.GetProperty("index").GetInt32()];
            Assert.Equal(score.Score, line.GetProperty("score").GetSingle());
            Assert.Equal(score.Window!.Index, line.GetProperty("window").GetInt32());
            Assert.Equal(score.Window.Start, line.GetProperty("start").GetInt32());
            Assert.Equal(score.Window.End, line.GetProperty("end").GetInt32());
            Assert.Equal(score.Window.Count, line.GetProperty("windows").GetInt32());
        }
        Assert.True(expected[1].Window!.Count > 3);

        var (errorCode, _, refusal) = await CliRunner.RunAsync(CliRunner.Lines(documents.Select(d => JsonSerializer.Serialize(d)).ToArray()),
            "rerank", "--model", Fixtures.RerankerModel, "--query", query, "--max-length", maxLength.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--long-documents", "error");
        Assert.Equal(1, errorCode);
        Assert.Contains("document 1 makes a prompt of ", refusal);
    }
}
