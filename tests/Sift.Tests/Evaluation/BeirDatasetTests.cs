using Sift.Evaluation;

namespace Sift.Tests.Evaluation;

public sealed class BeirDatasetTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("sift-beir-");

    [Fact]
    public void Load_SyntheticSet_ReadsCorpusQueriesAndGradedJudgmentsInFileOrder()
    {
        var dataset = BeirDataset.Load(EvaluationData.SyntheticBeir);

        Assert.Equal("synthetic-beir", dataset.Name);
        Assert.Equal(24, dataset.Corpus.Count);
        Assert.Equal(11, dataset.Queries.Count);
        Assert.Equal(10, dataset.JudgedQueryIds.Count);
        Assert.Equal("q01", dataset.JudgedQueryIds[0]);
        Assert.DoesNotContain("q99", dataset.JudgedQueryIds);
        Assert.Equal(2, dataset.Judgments["q03"]["d06"]);
        Assert.Equal(0, dataset.Judgments["q03"]["d05"]);
        Assert.Equal("北京", dataset.Queries["q02"]);
        Assert.Equal("Capital of China Beijing is the capital of the People's Republic of China and its political centre.", dataset.Corpus[0].IndexText);
        Assert.Equal("北京是中华人民共和国的首都，也是全国的政治和文化中心。", dataset.Corpus[8].IndexText);
        Assert.Equal(0, dataset.JudgedMissingDocuments);
    }

    [Fact]
    public void Load_NumericIdsNoTitleNoHeader_AreAccepted()
    {
        Write("""{"_id": 7, "text": "seven"}""", """{"_id": "1", "text": "q"}""", "1\t7\t1\n1\t8\t2\n");

        var dataset = BeirDataset.Load(_directory.FullName);

        Assert.Equal("7", dataset.Corpus[0].Id);
        Assert.Equal("seven", dataset.Corpus[0].IndexText);
        Assert.Equal(1, dataset.Judgments["1"]["7"]);
        Assert.Equal(1, dataset.JudgedMissingDocuments);
    }

    [Theory]
    [InlineData("{\"_id\": \"a\", \"text\": \"x\"}\n{not json", "corpus.jsonl line 2: not valid JSON")]
    [InlineData("{\"text\": \"x\"}", "corpus.jsonl line 1: no \"_id\"")]
    [InlineData("{\"_id\": \"a\"}", "corpus.jsonl line 1: \"text\" must be a string, got nothing")]
    [InlineData("{\"_id\": \"a\", \"text\": 3}", "corpus.jsonl line 1: \"text\" must be a string, got Number")]
    [InlineData("{\"_id\": \"a\", \"text\": \"x\"}\n\n{\"_id\": \"a\", \"text\": \"y\"}", "corpus.jsonl line 3: document id \"a\" appears twice")]
    [InlineData("[1, 2]", "corpus.jsonl line 1: expected a JSON object, got Array")]
    [InlineData("", "corpus.jsonl: no documents")]
    public void Load_MalformedCorpus_NamesFileLineAndProblem(string corpus, string message)
    {
        Write(corpus, """{"_id": "q", "text": "query"}""", "query-id\tcorpus-id\tscore\nq\ta\t1\n");

        var error = Assert.Throws<BeirFormatException>(() => BeirDataset.Load(_directory.FullName));

        Assert.Contains(message, error.Message);
    }

    [Theory]
    [InlineData("query-id\tcorpus-id\tscore\nq\ta\n", "test.tsv line 2: expected 3 tab-separated fields (query-id, corpus-id, score), got 2")]
    [InlineData("query-id\tcorpus-id\tscore\nq\ta\thigh\n", "test.tsv line 2: the score \"high\" is not an integer relevance grade")]
    [InlineData("q\ta\t1\nunknown\ta\t1\n", "test.tsv line 2: query \"unknown\" is not in queries.jsonl")]
    [InlineData("q\ta\t1\nq\ta\t2\n", "test.tsv line 2: query \"q\" judges document \"a\" twice, 1 and 2")]
    [InlineData("query-id\tcorpus-id\tscore\n", "test.tsv: no judgments")]
    public void Load_MalformedQrels_NamesFileLineAndProblem(string qrels, string message)
    {
        Write("""{"_id": "a", "text": "x"}""", """{"_id": "q", "text": "query"}""", qrels);

        var error = Assert.Throws<BeirFormatException>(() => BeirDataset.Load(_directory.FullName));

        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Load_MissingFiles_SayWhatABeirFolderHolds()
    {
        var missingFolder = Assert.Throws<BeirFormatException>(() => BeirDataset.Load(Path.Combine(_directory.FullName, "nope")));
        Assert.Contains("no such folder", missingFolder.Message);

        File.WriteAllText(Path.Combine(_directory.FullName, "corpus.jsonl"), """{"_id": "a", "text": "x"}""");
        File.WriteAllText(Path.Combine(_directory.FullName, "queries.jsonl"), """{"_id": "q", "text": "x"}""");
        var missingQrels = Assert.Throws<BeirFormatException>(() => BeirDataset.Load(_directory.FullName, "dev"));
        Assert.Contains(Path.Combine("qrels", "dev.tsv") + ": missing", missingQrels.Message);
    }

    public void Dispose() => _directory.Delete(recursive: true);

    private void Write(string corpus, string queries, string qrels)
    {
        File.WriteAllText(Path.Combine(_directory.FullName, "corpus.jsonl"), corpus);
        File.WriteAllText(Path.Combine(_directory.FullName, "queries.jsonl"), queries);
        Directory.CreateDirectory(Path.Combine(_directory.FullName, "qrels"));
        File.WriteAllText(Path.Combine(_directory.FullName, "qrels", "test.tsv"), qrels);
    }
}
