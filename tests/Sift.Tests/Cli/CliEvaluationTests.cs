using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Sift.Engine;
using Sift.Evaluation;
using Sift.Retrieval;
using Sift.Retrieval.Stores.Embedded;
using Sift.Tests.Engine;
using Sift.Tests.Evaluation;

namespace Sift.Tests.Cli;

/// <summary><c>sift eval</c>, <c>sift export-training</c> and the hybrid flags of <c>sift index</c> / <c>sift search</c>, in process, on a real embedded database.</summary>
public sealed class CliEvaluationTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("sift-cli-eval-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    private Task<(int ExitCode, string Output, string Error)> EvalAsync(params string[] extra) =>
        CliRunner.RunAsync("", ["eval", "--beir", EvaluationData.SyntheticBeir, "--data", _data, "--model", Fixtures.EmbeddingModel, .. extra]);

    [Fact]
    public async Task Eval_SyntheticSet_ReportsEveryModeAndHybridFindsTheKeywords()
    {
        var (exitCode, output, error) = await EvalAsync("--reranker", Fixtures.RerankerModel, "--json");

        Assert.True(exitCode == 0, error);
        var report = JsonDocument.Parse(output).RootElement;
        Assert.Equal(("synthetic-beir", "synthetic-beir", 24, 10, 24), (report.GetProperty("dataset").GetString(), report.GetProperty("collection").GetString(),
            report.GetProperty("documents").GetInt32(), report.GetProperty("queries").GetInt32(), report.GetProperty("indexed_documents").GetInt32()));
        var modes = report.GetProperty("modes").EnumerateArray().ToDictionary(m => m.GetProperty("mode").GetString()!);
        Assert.Equal(["dense", "hybrid", "dense+rerank", "hybrid+rerank"], modes.Keys);
        foreach (var mode in modes.Values)
        {
            foreach (var metric in new[] { "ndcg@10", "mrr@10", "recall@100" })
            {
                Assert.InRange(mode.GetProperty(metric).GetDouble(), 0, 1);
            }
            Assert.True(mode.GetProperty("latency_ms").GetProperty("p50").GetDouble() > 0);
        }
        // Random weights make the dense ranking noise; every query here names a keyword of its answer, which the lexical stage finds.
        Assert.True(modes["hybrid"].GetProperty("ndcg@10").GetDouble() > modes["dense"].GetProperty("ndcg@10").GetDouble() + 0.2);
        Assert.Contains("indexed 24/24 documents", error);
    }

    [Fact]
    public async Task Eval_DenseNumbers_AreTheMetricsOfTheStoresNearestChunks()
    {
        var (exitCode, output, error) = await EvalAsync("--json");
        Assert.True(exitCode == 0, error);
        var dense = JsonDocument.Parse(output).RootElement.GetProperty("modes")[0];

        // The same measure computed here from the store's vector stage and the engine, without the evaluator or the pipeline.
        var dataset = BeirDataset.Load(EvaluationData.SyntheticBeir);
        var embedder = ModelFixtures.Embedder.Value;
        var rankings = new Dictionary<string, IReadOnlyList<string>>();
        await using (var store = EmbeddedStore.Open(new EmbeddedStoreOptions { Directory = _data }, NullLogger.Instance))
        {
            foreach (var id in dataset.JudgedQueryIds)
            {
                var query = embedder.Embed([EmbeddingInput.Query(dataset.Queries[id])])[0].Vector;
                var chunks = await store.SearchAsync("synthetic-beir", query, 100, DocumentMetadata.Empty, TestContext.Current.CancellationToken);
                rankings[id] = chunks.OrderByDescending(c => c.Score).Select(c => c.DocumentId).Distinct().ToArray();
            }
        }
        var expected = MetricSummary.Compute(dataset.Judgments, rankings);
        Assert.Equal(expected.Ndcg10, dense.GetProperty("ndcg@10").GetDouble(), 12);
        Assert.Equal(expected.Mrr10, dense.GetProperty("mrr@10").GetDouble(), 12);
        Assert.Equal(expected.Recall100, dense.GetProperty("recall@100").GetDouble(), 12);
    }

    [Fact]
    public async Task Eval_SecondRun_ReusesTheCollectionAndPrintsATable()
    {
        await EvalAsync("--collection", "mine", "--json");

        var (exitCode, output, error) = await EvalAsync("--collection", "mine");

        Assert.True(exitCode == 0, error);
        Assert.StartsWith("synthetic-beir: 24 documents, 10 judged queries; collection mine; model qwen3-tiny-embedding; collection already indexed", output);
        Assert.Contains("│ dense ", output);
        Assert.Contains("│ hybrid ", output);
        Assert.DoesNotContain("rerank", output);
    }

    [Fact]
    public async Task Eval_BadDataset_IsOneErrorLineAndExitCode1()
    {
        var missing = await CliRunner.RunAsync("", "eval", "--beir", Path.Combine(_data, "none"), "--data", _data, "--model", Fixtures.EmbeddingModel);
        Assert.Equal(1, missing.ExitCode);
        Assert.StartsWith($"sift: error: {Path.Combine(_data, "none")}: no such folder", missing.Error);

        var folder = Directory.CreateDirectory(Path.Combine(_data, "broken")).FullName;
        File.WriteAllText(Path.Combine(folder, "corpus.jsonl"), "{\"_id\": \"a\", \"text\": \"x\"}\n");
        File.WriteAllText(Path.Combine(folder, "queries.jsonl"), "{\"_id\": \"q\", \"text\": \"x\"}\n");
        Directory.CreateDirectory(Path.Combine(folder, "qrels"));
        File.WriteAllText(Path.Combine(folder, "qrels", "test.tsv"), "query-id\tcorpus-id\tscore\nq\ta\tyes\n");
        var malformed = await CliRunner.RunAsync("", "eval", "--beir", folder, "--data", _data, "--model", Fixtures.EmbeddingModel);
        Assert.Equal(1, malformed.ExitCode);
        Assert.Contains("test.tsv line 2: the score \"yes\" is not an integer relevance grade", malformed.Error);
        Assert.Empty(malformed.Output);
    }

    [Fact]
    public async Task Eval_FolderWhoseNameCannotNameACollection_SaysToGiveOneWithCollection()
    {
        var folder = Path.Combine(_data, "my set 数据");
        Directory.CreateDirectory(Path.Combine(folder, "qrels"));
        foreach (var file in new[] { "corpus.jsonl", "queries.jsonl", Path.Combine("qrels", "test.tsv") })
        {
            File.Copy(Path.Combine(EvaluationData.SyntheticBeir, file), Path.Combine(folder, file));
        }

        var (exitCode, output, error) = await CliRunner.RunAsync("", "eval", "--beir", folder, "--data", _data, "--model", Fixtures.EmbeddingModel);

        Assert.Equal(1, exitCode);
        Assert.Empty(output);
        Assert.StartsWith("sift: error: the folder's name \"my set 数据\" cannot name a collection", error);
        Assert.Contains("--collection", error);
    }

    [Fact]
    public async Task Eval_CollectionOfAnotherModel_IsRefusedNamingBoth()
    {
        await EvalAsync("--collection", "other", "--json");

        var (exitCode, _, error) = await CliRunner.RunAsync("", "eval", "--beir", EvaluationData.SyntheticBeir, "--data", _data, "--collection", "other",
            "--model", Fixtures.RerankerModel);

        Assert.Equal(1, exitCode);
        Assert.Contains("was built with the embedding model 'qwen3-tiny-embedding'", error);
    }

    [Fact]
    public async Task ExportTraining_WritesMsSwiftLinesWithNegativesTheRerankerRejects()
    {
        await EvalAsync("--json");
        var dataset = BeirDataset.Load(EvaluationData.SyntheticBeir);
        var reranker = ModelFixtures.Reranker.Value;

        var (exitCode, output, error) = await CliRunner.RunAsync("", "export-training", "--data", _data, "--collection", "synthetic-beir",
            "--model", Fixtures.EmbeddingModel, "--reranker", Fixtures.RerankerModel, "--queries", Path.Combine(EvaluationData.SyntheticBeir, "queries.jsonl"),
            "--qrels", Path.Combine(EvaluationData.SyntheticBeir, "qrels", "test.tsv"), "--negatives", "3");

        Assert.True(exitCode == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        var positives = dataset.Judgments.Sum(j => j.Value.Count(g => g.Value > 0));
        Assert.Equal(positives, lines.Length);
        Assert.Contains($"wrote {positives} examples", error);
        var texts = dataset.Corpus.ToDictionary(d => d.IndexText, d => d.Id);
        foreach (var line in lines)
        {
            var prompt = line.GetProperty("query").GetString()!;
            Assert.StartsWith($"Instruct: {Prompts.DefaultInstruction}\nQuery:", prompt);
            var queryId = dataset.JudgedQueryIds.Single(id => prompt.EndsWith("Query:" + dataset.Queries[id], StringComparison.Ordinal));
            var query = dataset.Queries[queryId];
            var response = line.GetProperty("response").GetString()!;
            Assert.True(dataset.Judgments[queryId][texts[response]] > 0);
            var negatives = line.GetProperty("rejected_response").EnumerateArray().Select(n => n.GetString()!).ToArray();
            Assert.True(negatives.Length <= 3);
            // The rule, checked with the reranker itself: not judged relevant, P(yes) below 0.5 and below 95% of the positive's.
            var ceiling = Math.Min(0.5, 0.95 * reranker.Score(query, [response])[0].Score);
            foreach (var negative in negatives)
            {
                Assert.False(dataset.Judgments[queryId].TryGetValue(texts[negative], out var grade) && grade > 0);
                Assert.True(reranker.Score(query, [negative])[0].Score < ceiling, $"'{negative}' scores above {ceiling} for '{query}'");
            }
        }
        Assert.Contains(lines, l => l.GetProperty("rejected_response").GetArrayLength() > 0);
    }

    [Fact]
    public async Task ExportTraining_BadInput_IsAClearError()
    {
        var noReranker = await CliRunner.RunAsync("", "export-training", "--data", _data, "--collection", "c", "--model", Fixtures.EmbeddingModel,
            "--queries", "q.jsonl", "--qrels", "q.tsv");
        Assert.Equal(2, noReranker.ExitCode);
        Assert.Contains("--reranker", noReranker.Error);

        var queries = Path.Combine(_data, "queries.jsonl");
        var qrels = Path.Combine(_data, "qrels.tsv");
        File.WriteAllText(queries, "{\"_id\": \"q1\", \"text\": \"x\"}\n");
        File.WriteAllText(qrels, "q2\td1\t1\n");
        var unknownQuery = await CliRunner.RunAsync("", "export-training", "--data", _data, "--collection", "c", "--model", Fixtures.EmbeddingModel,
            "--reranker", Fixtures.RerankerModel, "--queries", queries, "--qrels", qrels);
        Assert.Equal(1, unknownQuery.ExitCode);
        Assert.Contains("qrels.tsv line 1: query \"q2\" is not in queries.jsonl", unknownQuery.Error);

        File.WriteAllText(qrels, "q1\td1\t1\n");
        var noCollection = await CliRunner.RunAsync("", "export-training", "--data", _data, "--collection", "absent", "--model", Fixtures.EmbeddingModel,
            "--reranker", Fixtures.RerankerModel, "--queries", queries, "--qrels", qrels);
        Assert.Equal(1, noCollection.ExitCode);
        Assert.Contains("absent", noCollection.Error);
    }

    [Fact]
    public async Task IndexHybrid_MakesHybridTheCollectionsDefault_AndSearchCanTurnItOff()
    {
        var documents = CliRunner.Lines(BeirDataset.Load(EvaluationData.SyntheticBeir).Corpus.Select(d => JsonSerializer.Serialize(new { id = d.Id, text = d.IndexText })).ToArray());
        var index = await CliRunner.RunAsync(documents, "index", "--data", _data, "--collection", "kw", "--model", Fixtures.EmbeddingModel, "--hybrid");
        Assert.True(index.ExitCode == 0, index.Error);

        var hybrid = await CliRunner.RunAsync("", "search", "--data", _data, "--collection", "kw", "--model", Fixtures.EmbeddingModel, "--query", "富士山の標高",
            "--top-k", "3", "--top-n", "3");
        var dense = await CliRunner.RunAsync("", "search", "--data", _data, "--collection", "kw", "--model", Fixtures.EmbeddingModel, "--query", "富士山の標高",
            "--top-k", "3", "--top-n", "3", "--hybrid", "false");

        Assert.True(hybrid.ExitCode == 0, hybrid.Error);
        Assert.Contains("hybrid); embed", hybrid.Error);
        var found = hybrid.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Contains(found, r => r.GetProperty("id").GetString() == "d15" && r.GetProperty("stage").GetString() != "vector");
        Assert.True(dense.ExitCode == 0, dense.Error);
        Assert.DoesNotContain("hybrid", dense.Error);
        Assert.All(dense.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.Equal("vector", JsonDocument.Parse(l).RootElement.GetProperty("stage").GetString()));
    }
}
