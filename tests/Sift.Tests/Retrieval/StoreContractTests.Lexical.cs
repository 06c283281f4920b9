using System.Numerics.Tensors;
using Sift.Evaluation;
using Sift.Retrieval;
using Sift.Tests.Evaluation;

namespace Sift.Tests.Retrieval;

/// <summary>The lexical half of hybrid search, on every store: keyword recall in any language, filters, and writes kept in step with the chunks.</summary>
public abstract partial class StoreContractTests
{
    /// <summary>The synthetic BEIR set as one-chunk documents with seeded vectors; "group" is the document's position modulo 2.</summary>
    private static (IndexedDocument[] Documents, float[][] Vectors) KeywordCorpus()
    {
        var corpus = BeirDataset.Load(EvaluationData.SyntheticBeir).Corpus;
        var vectors = SyntheticVectors.Clustered(corpus.Count, Dimensions, 4, seed: 41);
        var documents = corpus.Select((d, i) => Document(d.Id, d.IndexText, [vectors[i]],
            new Dictionary<string, MetadataValue> { ["group"] = MetadataValue.Of(i % 2) })).ToArray();
        return (documents, vectors);
    }

    [Theory]
    [InlineData("北京", "d09")]
    [InlineData("光合作用", "d12")]
    [InlineData("富士山の標高", "d15")]
    [InlineData("printer error E4321", "d06")]
    [InlineData("getUserById", "d19")]
    [InlineData("config", "d18")]
    public async Task SearchLexical_Keyword_FindsTheDocumentHoldingItScoredByExactCosine(string query, string expected)
    {
        await using var store = await OpenStoreAsync();
        var settings = Settings();
        await store.CreateCollectionAsync(settings, Cancel);
        var (documents, vectors) = KeywordCorpus();
        await store.UpsertAsync(settings, documents, Cancel);
        var queryVector = SyntheticVectors.Clustered(1, Dimensions, 1, seed: 77)[0];

        var matches = await store.SearchLexicalAsync(settings.Name, query, queryVector, 5, DocumentMetadata.Empty, Cancel);

        Assert.NotEmpty(matches);
        Assert.Equal(expected, matches[0].DocumentId);
        foreach (var match in matches)
        {
            var index = Array.FindIndex(documents, d => d.Document.Id == match.DocumentId);
            Assert.Equal(TensorPrimitives.Dot(vectors[index], queryVector), match.Score);
            Assert.Equal($"{documents[index].Document.Text} #0", match.Text);
        }
    }

    [Fact]
    public async Task SearchLexical_WithFilter_ReturnsOnlyMatchingDocuments()
    {
        await using var store = await OpenStoreAsync();
        var settings = Settings();
        await store.CreateCollectionAsync(settings, Cancel);
        var (documents, _) = KeywordCorpus();
        await store.UpsertAsync(settings, documents, Cancel);
        var queryVector = SyntheticVectors.Clustered(1, Dimensions, 1, seed: 78)[0];
        // d09 (北京) is the ninth document: group 0. "fuser" is in d06 and d24, both group 1.
        var group0 = new Dictionary<string, MetadataValue> { ["group"] = MetadataValue.Of(0) };
        var group1 = new Dictionary<string, MetadataValue> { ["group"] = MetadataValue.Of(1) };

        var found = await store.SearchLexicalAsync(settings.Name, "北京", queryVector, 5, group0, Cancel);
        var filteredOut = await store.SearchLexicalAsync(settings.Name, "北京", queryVector, 5, group1, Cancel);
        var fusers = await store.SearchLexicalAsync(settings.Name, "fuser", queryVector, 5, group1, Cancel);
        var noFusers = await store.SearchLexicalAsync(settings.Name, "fuser", queryVector, 5, group0, Cancel);

        Assert.Equal("d09", found[0].DocumentId);
        Assert.DoesNotContain(filteredOut, m => m.DocumentId == "d09");
        Assert.Equal(["d06", "d24"], fusers.Select(m => m.DocumentId).Order());
        Assert.Empty(noFusers);
    }

    [Fact]
    public async Task SearchLexical_FollowsReplacementsAndDeletes()
    {
        await using var store = await OpenStoreAsync();
        var settings = Settings();
        await store.CreateCollectionAsync(settings, Cancel);
        var vectors = SyntheticVectors.Clustered(2, Dimensions, 1, seed: 5);
        await store.UpsertAsync(settings, [Document("a", "the walrus sleeps", [vectors[0]]), Document("b", "熊猫吃竹子", [vectors[1]])], Cancel);
        await store.UpsertAsync(settings, [Document("a", "the narwhal swims", [vectors[0]])], Cancel);
        await store.DeleteDocumentAsync(settings.Name, "b", Cancel);

        Assert.Empty(await store.SearchLexicalAsync(settings.Name, "walrus", vectors[0], 5, DocumentMetadata.Empty, Cancel));
        Assert.Equal("a", Assert.Single(await store.SearchLexicalAsync(settings.Name, "narwhal", vectors[0], 5, DocumentMetadata.Empty, Cancel)).DocumentId);
        Assert.Empty(await store.SearchLexicalAsync(settings.Name, "熊猫", vectors[0], 5, DocumentMetadata.Empty, Cancel));
    }

    [Fact]
    public async Task SearchLexical_AFailedUpsert_LeavesNoTermsBehind()
    {
        await using var store = await OpenStoreAsync();
        var settings = Settings();
        await store.CreateCollectionAsync(settings, Cancel);
        var good = Document("good", "a zebra crossing", [SyntheticVectors.Clustered(1, Dimensions, 1, seed: 6)[0]]);
        var bad = Document("bad", "wrong width", [new float[Dimensions + 1]]);

        await Assert.ThrowsAsync<ArgumentException>(() => store.UpsertAsync(settings, [good, bad], Cancel));

        Assert.Empty(await store.SearchLexicalAsync(settings.Name, "zebra", new float[Dimensions], 5, DocumentMetadata.Empty, Cancel));
    }

    [Fact]
    public async Task SearchLexical_QueryWithoutTerms_IsEmpty()
    {
        await using var store = await OpenStoreAsync();
        var settings = Settings();
        await store.CreateCollectionAsync(settings, Cancel);
        await store.UpsertAsync(settings, [Document("a", "text", [new float[Dimensions]])], Cancel);

        Assert.Empty(await store.SearchLexicalAsync(settings.Name, "？！。", new float[Dimensions], 5, DocumentMetadata.Empty, Cancel));
    }

    [Fact]
    public async Task SearchLexical_OfACollectionRecreatedWithOtherDimensions_Is409NotAnInternalError()
    {
        await using var store = await OpenStoreAsync();
        var settings = Settings();
        await store.CreateCollectionAsync(settings, Cancel);
        await store.DeleteCollectionAsync(settings.Name, Cancel);
        await store.CreateCollectionAsync(settings with { Dimensions = 48 }, Cancel);

        // The hybrid search embedded its query at the dimensions the collection had when it looked it up, as the vector stage does.
        var conflict = await Assert.ThrowsAsync<RetrievalException>(
            () => store.SearchLexicalAsync(settings.Name, "text", new float[Dimensions], 5, DocumentMetadata.Empty, Cancel));

        Assert.Equal((409, "collection_changed"), (conflict.Status, conflict.Code));
    }

    [Fact]
    public async Task Hybrid_IsACollectionSettingTheStoreKeeps()
    {
        await using var store = await OpenStoreAsync();
        var hybrid = Settings() with { Hybrid = true };
        var plain = Settings();
        await store.CreateCollectionAsync(hybrid, Cancel);
        await store.CreateCollectionAsync(plain, Cancel);

        Assert.True((await store.FindCollectionAsync(hybrid.Name, Cancel))!.Settings.Hybrid);
        Assert.False((await store.FindCollectionAsync(plain.Name, Cancel))!.Settings.Hybrid);
        Assert.True((await store.ListCollectionsAsync(Cancel)).Single(c => c.Name == hybrid.Name).Settings.Hybrid);
    }
}
