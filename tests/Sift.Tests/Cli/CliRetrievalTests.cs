using System.Text.Json;
using Sift.Tests.Retrieval;

namespace Sift.Tests.Cli;

/// <summary><c>sift index</c> and <c>sift search</c> in process, against a real embedded database in a temporary directory.</summary>
public sealed class CliRetrievalTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("sift-cli-data-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    private static string CorpusLines() => CliRunner.Lines(CollectionRoutesTests.Corpus
        .Select(d => JsonSerializer.Serialize(new { id = d.Id, text = d.Text, metadata = d.Metadata })).ToArray());

    private Task<(int ExitCode, string Output, string Error)> IndexAsync(string stdin, params string[] extra) =>
        CliRunner.RunAsync(stdin, ["index", "--data", _data, "--collection", "docs", "--model", Fixtures.EmbeddingModel, .. extra]);

    private Task<(int ExitCode, string Output, string Error)> SearchAsync(params string[] extra) =>
        CliRunner.RunAsync("", ["search", "--data", _data, "--collection", "docs", "--model", Fixtures.EmbeddingModel, .. extra]);

    [Fact]
    public async Task Index_ThenSearch_PrintsRerankedDocumentsAsJsonLines()
    {
        var (exitCode, output, error) = await IndexAsync(CorpusLines());
        Assert.True(exitCode == 0, error);
        var ack = JsonDocument.Parse(output.Trim()).RootElement;
        Assert.Equal(5, ack.GetProperty("upserted").GetInt32());
        Assert.Contains("indexed 5 documents", error);

        var search = await SearchAsync("--reranker", Fixtures.RerankerModel, "--query", "capital of China", "--top-n", "3");
        Assert.True(search.ExitCode == 0, search.Error);
        var lines = search.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(3, lines.Length);
        Assert.All(lines, l => Assert.True(l.GetProperty("reranked").GetBoolean()));
        var scores = lines.Select(l => l.GetProperty("score").GetSingle()).ToArray();
        Assert.Equal(scores.OrderByDescending(s => s), scores);
    }

    [Fact]
    public async Task Index_RunTwice_SkipsUnchangedDocumentsAndReindexesChangedOnes()
    {
        await IndexAsync(CorpusLines());
        var changed = CorpusLines().Replace("Gravity is a force", "Gravity is a weak force", StringComparison.Ordinal);

        var (exitCode, output, error) = await IndexAsync(changed);

        Assert.True(exitCode == 0, error);
        var ack = JsonDocument.Parse(output.Trim()).RootElement;
        Assert.Equal(1, ack.GetProperty("upserted").GetInt32());
        Assert.Equal(4, ack.GetProperty("unchanged").GetInt32());
    }

    [Fact]
    public async Task Index_RunTwice_ReindexesADocumentWhoseMetadataAloneChanged()
    {
        await IndexAsync(CorpusLines());
        var lines = CorpusLines().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[0] = lines[0].Replace("\"topic\":\"geo\"", "\"topic\":\"capitals\"", StringComparison.Ordinal);
        Assert.Contains("\"id\":\"beijing\"", lines[0]);
        Assert.Contains("capitals", lines[0]);

        var (exitCode, output, error) = await IndexAsync(CliRunner.Lines(lines));

        Assert.True(exitCode == 0, error);
        var ack = JsonDocument.Parse(output.Trim()).RootElement;
        Assert.Equal((1, 4), (ack.GetProperty("upserted").GetInt32(), ack.GetProperty("unchanged").GetInt32()));
        var search = await SearchAsync("--query", "city", "--filter", "topic=capitals");
        Assert.True(search.ExitCode == 0, search.Error);
        Assert.Equal("beijing", JsonDocument.Parse(search.Output.Trim()).RootElement.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Search_FilterAndNoReranker_ReturnsVectorOrderOfMatchingDocuments()
    {
        await IndexAsync(CorpusLines());

        var (exitCode, output, error) = await SearchAsync("--query", "city", "--filter", "topic=geo", "--filter", "year=2024");

        Assert.True(exitCode == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(["beijing", "paris", "shanghai"], lines.Select(l => l.GetProperty("id").GetString()).Order());
        Assert.All(lines, l => Assert.False(l.GetProperty("reranked").GetBoolean()));
        Assert.All(lines, l => Assert.Equal(l.GetProperty("vector_score").GetSingle(), l.GetProperty("score").GetSingle()));
        // Without --reranker, vector order is what was asked for: no fallback to report.
        Assert.Contains("(vector order); embed", error);
    }

    [Fact]
    public void ParseFilter_TypesValuesAsDocumented()
    {
        var filter = Sift.Cli.Commands.SearchCommand.ParseFilter(["a=true", "b=2024", "c=\"2024\"", "d=text=with=equals"]);
        Assert.True(filter["a"].Boolean);
        Assert.Equal(2024, filter["b"].Number);
        Assert.Equal("2024", filter["c"].Text);
        Assert.Equal("text=with=equals", filter["d"].Text);
    }

    [Fact]
    public void ParseFilter_TakesIntegersUpTo2To53_AndBeyondThemOnlyQuotedOrAsDecimals()
    {
        var filter = Sift.Cli.Commands.SearchCommand.ParseFilter(["a=9007199254740992", "b=-9007199254740992", "c=\"12345678901234567891\"", "d=1.5e300"]);
        Assert.Equal(9007199254740992d, filter["a"].Number);
        Assert.Equal(-9007199254740992d, filter["b"].Number);
        Assert.Equal("12345678901234567891", filter["c"].Text);
        Assert.Equal(1.5e300, filter["d"].Number);
        Assert.Throws<Sift.Cli.CliException>(() => Sift.Cli.Commands.SearchCommand.ParseFilter(["a=9007199254740993"]));
    }

    [Theory]
    [InlineData("{\"id\": \"a\"}\n", "stdin line 1: \"text\" must be a string")]
    [InlineData("{\"id\": \"\", \"text\": \"t\"}\n", "stdin line 1:")]
    [InlineData("not json\n", "stdin line 1: not valid JSON")]
    [InlineData("{\"id\": \"a\", \"text\": \"t\", \"metadata\": {\"x\": {\"y\": 1}}}\n", "must be a string, a number or a boolean")]
    [InlineData("", "no documents on stdin")]
    public async Task Index_BadInput_FailsWithOneLineNamingIt(string stdin, string message)
    {
        var (exitCode, _, error) = await IndexAsync(stdin);
        Assert.Equal(1, exitCode);
        Assert.Contains(message, error);
        Assert.DoesNotContain("   at ", error);
    }

    [Theory]
    [InlineData("8")]
    [InlineData("4096")]
    public async Task Index_NewCollectionWithDimensionsTheModelCannotMake_FailsAndCreatesNothing(string dimensions)
    {
        var (exitCode, _, error) = await IndexAsync(CorpusLines(), "--dimensions", dimensions);

        Assert.Equal(1, exitCode);
        Assert.Contains(dimensions, error);
        // Nothing was left behind: the same import with the model's own width succeeds.
        var again = await IndexAsync(CorpusLines());
        Assert.True(again.ExitCode == 0, again.Error);
    }

    [Fact]
    public async Task Index_BadLineAfterGoodOnes_KeepsTheCommittedBatches()
    {
        var lines = CorpusLines() + "{\"id\": 5}\n";
        var (exitCode, output, error) = await IndexAsync(lines, "--batch-size", "2");
        Assert.Equal(1, exitCode);
        Assert.Contains("stdin line 6", error);
        // Two batches were acknowledged; the batch the bad line falls in is not written.
        Assert.Equal(2, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        var search = await SearchAsync("--query", "anything", "--top-n", "10");
        Assert.Equal(4, search.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Theory]
    [InlineData("missing", new string[0], "collection 'missing' does not exist")]
    [InlineData("docs", new[] { "--top-k", "5", "--top-n", "6" }, "'top_n' 6 is outside 1..5")]
    [InlineData("docs", new[] { "--filter", "novalue" }, "--filter \"novalue\" must be KEY=VALUE")]
    [InlineData("docs", new[] { "--filter", "id=12345678901234567891" }, "12345678901234567891 is an integer beyond ±2^53")]
    [InlineData("docs", new[] { "--filter", "id=-9007199254740993" }, "-9007199254740993 is an integer beyond ±2^53")]
    public async Task Search_BadRequest_FailsWithOneClearLine(string collection, string[] extra, string message)
    {
        await IndexAsync(CorpusLines());
        var (exitCode, _, error) = await CliRunner.RunAsync("", ["search", "--data", _data, "--collection", collection, "--model", Fixtures.EmbeddingModel, "--query", "q", .. extra]);
        Assert.Equal(1, exitCode);
        Assert.Contains(message, error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public async Task Search_WithAnotherModel_IsRefusedNamingBoth()
    {
        await IndexAsync(CorpusLines());
        var (exitCode, _, error) = await CliRunner.RunAsync("", "search", "--data", _data, "--collection", "docs", "--model", Fixtures.RerankerModel, "--query", "q");
        Assert.Equal(1, exitCode);
        Assert.Contains("'qwen3-tiny-embedding'", error);
        Assert.Contains("'qwen3-tiny-reranker'", error);
    }

    [Fact]
    public async Task NaNEmbeddingOrLogits_FailIndexAndSearchWithAMessage_AndStoreNothingOfThatRun()
    {
        using var models = new Sift.Tests.Server.NaNModels();
        Task<(int ExitCode, string Output, string Error)> Index(string lines) =>
            CliRunner.RunAsync(lines, ["index", "--data", _data, "--collection", "nan", "--model", models.EmbeddingModel]);
        Task<(int ExitCode, string Output, string Error)> Search(string query, params string[] extra) =>
            CliRunner.RunAsync("", ["search", "--data", _data, "--collection", "nan", "--model", models.EmbeddingModel, "--query", query, .. extra]);
        var first = await Index(CliRunner.Lines(JsonSerializer.Serialize(new { id = "kept", text = "A quiet garden by the river." })));
        Assert.True(first.ExitCode == 0, first.Error);

        // " Hello" reads the corrupt embedding row: that document's vector is NaN.
        var failed = await Index(CliRunner.Lines(JsonSerializer.Serialize(new { id = "fine", text = "Mountains at dawn." }),
            JsonSerializer.Serialize(new { id = "bad", text = "Say Hello to the world." })));
        var query = await Search("Say Hello there");
        var reranked = await Search("garden", "--reranker", models.RerankerModel, "--top-n", "5");
        var plain = await Search("garden", "--top-n", "5");

        Assert.NotEqual(0, failed.ExitCode);
        Assert.Contains("NaN or infinity", failed.Error, StringComparison.Ordinal);
        Assert.Contains("embedding row of token", failed.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", failed.Error, StringComparison.Ordinal);
        Assert.NotEqual(0, query.ExitCode);
        Assert.Contains("NaN or infinity", query.Error, StringComparison.Ordinal);
        // The reranker reads " Hello" nowhere here: its scores are finite, and only the acknowledged document is found.
        Assert.True(reranked.ExitCode == 0, reranked.Error);
        Assert.True(plain.ExitCode == 0, plain.Error);
        var ids = plain.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()!).ToArray();
        Assert.Equal(["kept"], ids);
    }
}
