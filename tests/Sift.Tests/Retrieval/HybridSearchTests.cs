using Microsoft.Extensions.Logging.Abstractions;
using Sift.Engine;
using Sift.Evaluation;
using Sift.Retrieval;
using Sift.Retrieval.Stores.Embedded;
using Sift.Tests.Engine;
using Sift.Tests.Evaluation;

namespace Sift.Tests.Retrieval;

/// <summary>Hybrid search through the real pipeline: the fixture models, the synthetic BEIR set indexed in a real embedded store.</summary>
public sealed class HybridSearchTests : IAsyncLifetime
{
    private static readonly CancellationToken Cancel = TestContext.Current.CancellationToken;
    private readonly string _directory = Directory.CreateTempSubdirectory("sift-hybrid-").FullName;
    private EmbeddedStore _store = null!;
    private CollectionInfo _collection = null!;
    private EngineTextEmbedder _embedder = null!;

    public async ValueTask InitializeAsync()
    {
        _store = EmbeddedStore.Open(new EmbeddedStoreOptions { Directory = _directory }, NullLogger.Instance);
        _embedder = new EngineTextEmbedder(ModelFixtures.Embedder.Value);
        var created = await _store.CreateCollectionAsync(new CollectionSettings { Name = "beir", Model = _embedder.ModelName, Dimensions = _embedder.MaxDimensions }, Cancel);
        var corpus = BeirDataset.Load(EvaluationData.SyntheticBeir).Corpus;
        var metadata = (int i) => new Dictionary<string, MetadataValue> { ["group"] = MetadataValue.Of(i % 2) };
        await new DocumentIndexer(_store, _embedder).UpsertAsync(created,
            corpus.Select((d, i) => new DocumentInput(d.Id, d.IndexText, metadata(i))).ToArray(), skipUnchanged: false, Cancel);
        _collection = (await _store.FindCollectionAsync("beir", Cancel))!;
    }

    [Theory]
    [InlineData("北京", "d09")]
    [InlineData("日本の首都", "d14")]
    [InlineData("getUserById", "d19")]
    public async Task Hybrid_Keyword_FindsTheDocumentHoldingItAndSaysWhichStageFoundIt(string query, string expected)
    {
        var pipeline = new SearchPipeline(_store, _embedder, null);

        var response = await pipeline.SearchAsync(_collection, new SearchRequest { Query = query, TopK = 3, TopN = 3, Hybrid = true }, Cancel);

        Assert.True(response.Hybrid);
        var hit = Assert.Single(response.Results, h => h.DocumentId == expected);
        Assert.Contains(hit.Stage, new[] { RecallStage.Lexical, RecallStage.Both });
        Assert.All(response.Results, h => Assert.Contains(h.Stage, new[] { RecallStage.Vector, RecallStage.Lexical, RecallStage.Both }));
    }

    [Fact]
    public async Task Hybrid_ScoresAreReciprocalRankFusionOfTheTwoStagesWithK60()
    {
        const string query = "printer error E4321";
        var pipeline = new SearchPipeline(_store, _embedder, null);
        var vector = (await _embedder.EmbedAsync([EmbeddingInput.Query(query)], _collection.Settings.Dimensions, Cancel)).Vectors[0];
        var byVector = await _store.SearchAsync("beir", vector, 10, DocumentMetadata.Empty, Cancel);
        var byKeyword = await _store.SearchLexicalAsync("beir", query, vector, 10, DocumentMetadata.Empty, Cancel);

        var response = await pipeline.SearchAsync(_collection, new SearchRequest { Query = query, TopK = 10, TopN = 10, Hybrid = true }, Cancel);

        // Every document here is one chunk: a document's fused score is Σ 1 / (60 + rank) over the lists that hold it.
        foreach (var hit in response.Results)
        {
            var v = byVector.Select(m => m.DocumentId).ToList().IndexOf(hit.DocumentId);
            var l = byKeyword.Select(m => m.DocumentId).ToList().IndexOf(hit.DocumentId);
            var expected = (v >= 0 ? 1.0 / (60 + v + 1) : 0) + (l >= 0 ? 1.0 / (60 + l + 1) : 0);
            Assert.Equal((float)expected, hit.Score);
            Assert.Equal(v >= 0 && l >= 0 ? RecallStage.Both : v >= 0 ? RecallStage.Vector : RecallStage.Lexical, hit.Stage);
            Assert.Equal((v >= 0 ? byVector[v] : byKeyword[l]).Score, hit.VectorScore);
        }
        Assert.Equal(response.Results.Select(h => h.Score).OrderByDescending(s => s), response.Results.Select(h => h.Score));
        Assert.Contains(response.Results, h => h.DocumentId == "d06" && h.Stage != RecallStage.Vector);
    }

    [Fact]
    public async Task HybridRerank_ScoresAreTheRerankersOwnForTheChunkText()
    {
        const string query = "富士山の標高";
        var reranker = ModelFixtures.Reranker.Value;
        var pipeline = new SearchPipeline(_store, _embedder, new EnginePassageReranker(reranker));

        var response = await pipeline.SearchAsync(_collection, new SearchRequest { Query = query, TopK = 5, TopN = 5, Hybrid = true }, Cancel);

        Assert.True(response.Reranked);
        Assert.Contains(response.Results, h => h.DocumentId == "d15");
        foreach (var hit in response.Results)
        {
            Assert.Equal(reranker.Score(query, [hit.ChunkText])[0].Score, hit.Score);
        }
    }

    [Fact]
    public async Task RerankerOutage_IsLoggedOnceWithItsException_ThenCounted_AndItsEndOnce()
    {
        // At hundreds of searches a second, one stack trace per search buried the log during an outage.
        var working = new EnginePassageReranker(ModelFixtures.Reranker.Value);
        var failing = new Sift.Tests.Server.FaultyReranker(working, new InvalidOperationException("broken"));
        var logger = new Sift.Tests.Support.ListLogger();
        var outage = new RerankOutage();
        var request = new SearchRequest { Query = "北京", TopK = 5, TopN = 5 };

        for (var i = 0; i < 5; i++)
        {
            var fallback = await new SearchPipeline(_store, _embedder, failing, logger, outage).SearchAsync(_collection, request, Cancel);
            Assert.Equal(FallbackReason.RerankerFailed, fallback.FallbackReason);
        }
        Assert.Single(logger.Lines);
        Assert.Contains("first-stage order: reranker_failed (broken)", logger.Lines[0], StringComparison.Ordinal);

        Assert.True((await new SearchPipeline(_store, _embedder, working, logger, outage).SearchAsync(_collection, request, Cancel)).Reranked);
        Assert.True((await new SearchPipeline(_store, _embedder, working, logger, outage).SearchAsync(_collection, request, Cancel)).Reranked);
        Assert.Equal(2, logger.Lines.Count);
        Assert.Contains("answers searches again; 5 fell back meanwhile (reranker_failed)", logger.Lines[1], StringComparison.Ordinal);

        // The next outage is logged again.
        await new SearchPipeline(_store, _embedder, failing, logger, outage).SearchAsync(_collection, request, Cancel);
        Assert.Equal(3, logger.Lines.Count);
    }

    [Fact]
    public async Task FailingReranker_FusedOrderWithTheReason_AndRequireRerankedStopsCallersThatNeedScores()
    {
        var failing = new Sift.Tests.Server.FaultyReranker(new EnginePassageReranker(ModelFixtures.Reranker.Value), new InvalidOperationException("broken"));
        var logger = new Sift.Tests.Support.ListLogger();
        var request = new SearchRequest { Query = "北京", TopK = 5, TopN = 5, Hybrid = true, RerankTop = 2 };

        var fallback = await new SearchPipeline(_store, _embedder, failing, logger).SearchAsync(_collection, request, Cancel);
        var fused = await new SearchPipeline(_store, _embedder, null).SearchAsync(_collection, request with { Rerank = false }, Cancel);

        Assert.False(fallback.Reranked);
        Assert.Equal(FallbackReason.RerankerFailed, fallback.FallbackReason);
        Assert.Null(fused.FallbackReason);
        // The whole fused list, not the two rerank_top would have sent the reranker.
        Assert.Equal(fused.Results.Select(h => (h.DocumentId, h.Score, h.Stage)), fallback.Results.Select(h => (h.DocumentId, h.Score, h.Stage)));
        Assert.Equal(5, fallback.Results.Count);
        var error = Assert.Throws<InvalidOperationException>(() => fallback.RequireReranked());
        Assert.Contains("reranker_failed", error.Message, StringComparison.Ordinal);
        Assert.Same(fused, fused.RequireReranked());
        Assert.Contains(logger.Lines, line => line.Contains("first-stage order: reranker_failed (broken)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Hybrid_CollectionDefault_AppliesUnlessTheRequestSaysOtherwise()
    {
        var hybridByDefault = _collection with { Settings = _collection.Settings with { Hybrid = true } };
        var pipeline = new SearchPipeline(_store, _embedder, null);

        var byDefault = await pipeline.SearchAsync(hybridByDefault, new SearchRequest { Query = "北京", TopK = 3, TopN = 3 }, Cancel);
        var off = await pipeline.SearchAsync(hybridByDefault, new SearchRequest { Query = "北京", TopK = 3, TopN = 3, Hybrid = false }, Cancel);
        var plain = await pipeline.SearchAsync(_collection, new SearchRequest { Query = "北京", TopK = 3, TopN = 3 }, Cancel);

        Assert.True(byDefault.Hybrid);
        Assert.True(byDefault.Timings.Lexical > 0);
        Assert.False(off.Hybrid);
        Assert.False(plain.Hybrid);
        Assert.Equal(0, plain.Timings.Lexical);
        Assert.All(plain.Results, h => Assert.Equal(RecallStage.Vector, h.Stage));
        Assert.All(plain.Results, h => Assert.Equal(h.VectorScore, h.Score));
    }

    [Fact]
    public async Task Hybrid_Filter_AppliesToTheLexicalStageToo()
    {
        var pipeline = new SearchPipeline(_store, _embedder, null);
        var group1 = new Dictionary<string, MetadataValue> { ["group"] = MetadataValue.Of(1) };

        var response = await pipeline.SearchAsync(_collection, new SearchRequest { Query = "北京", TopK = 24, TopN = 24, Hybrid = true, Filter = group1 }, Cancel);

        Assert.DoesNotContain(response.Results, h => h.DocumentId == "d09");
        Assert.All(response.Results, h => Assert.Equal(1.0, h.Metadata["group"].Number));
        Assert.Equal(12, response.Results.Count);
    }

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
