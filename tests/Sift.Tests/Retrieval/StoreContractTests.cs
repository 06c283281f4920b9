using System.Numerics.Tensors;
using System.Security.Cryptography;
using System.Text;
using Sift.Retrieval;

namespace Sift.Tests.Retrieval;

/// <summary>What every store must do, run against each real store (embedded SQLite, PostgreSQL + pgvector).</summary>
public abstract class StoreContractTests
{
    protected const int Dimensions = 32;
    protected static readonly CancellationToken Cancel = TestContext.Current.CancellationToken;

    /// <summary>Whether the store's vector stage is exact at the sizes used here (an HNSW index may not be).</summary>
    protected abstract bool ExactAtTestSize { get; }

    protected abstract Task<IRetrievalStore> OpenStoreAsync();

    protected static CollectionSettings Settings(string? name = null, int dimensions = Dimensions) =>
        new() { Name = name ?? $"t{Guid.NewGuid():N}"[..12], Model = "test-model", Dimensions = dimensions };

    protected static IndexedDocument Document(string id, string text, float[][] vectors, IReadOnlyDictionary<string, MetadataValue>? metadata = null) =>
        new(new DocumentInput(id, text, metadata ?? DocumentMetadata.Empty), SHA256.HashData(Encoding.UTF8.GetBytes(text)),
            vectors.Select((v, i) => new EmbeddedChunk(i, $"{text} #{i}", v)).ToArray());

    /// <summary>200 documents of one or two chunks each, with metadata: group (number), tag (string), even (boolean).</summary>
    protected static (IndexedDocument[] Documents, float[][] Vectors, (int Document, int Chunk)[] Owners) Corpus(int seed)
    {
        var vectors = SyntheticVectors.Clustered(300, Dimensions, 8, seed);
        var documents = new List<IndexedDocument>();
        var owners = new List<(int, int)>();
        var next = 0;
        for (var d = 0; next < vectors.Length; d++)
        {
            var take = Math.Min(d % 2 == 0 ? 1 : 2, vectors.Length - next);
            var metadata = new Dictionary<string, MetadataValue>
            {
                ["group"] = MetadataValue.Of(d % 3),
                ["tag"] = MetadataValue.Of($"t{d % 2}"),
                ["even"] = MetadataValue.Of(d % 2 == 0),
            };
            documents.Add(Document($"doc-{d:D3}", $"document {d}", vectors[next..(next + take)], metadata));
            for (var c = 0; c < take; c++)
            {
                owners.Add((d, c));
            }
            next += take;
        }
        return (documents.ToArray(), vectors, owners.ToArray());
    }

    [Fact]
    public async Task Search_ReturnsTheNearestChunksWithExactScoresBestFirst()
    {
        await using var store = await OpenStoreAsync();
        var settings = Settings();
        await store.CreateCollectionAsync(settings, Cancel);
        var (documents, vectors, owners) = Corpus(seed: 7);
        await store.UpsertAsync(settings.Name, documents, Cancel);
        var query = SyntheticVectors.Clustered(1, Dimensions, 1, seed: 99)[0];

        var matches = await store.SearchAsync(settings.Name, query, 10, DocumentMetadata.Empty, Cancel);

        var expected = SyntheticVectors.ExactNearest(vectors, query, 10).Select(i => $"doc-{owners[i].Document:D3}/{owners[i].Chunk}").ToArray();
        var found = matches.Select(m => $"{m.DocumentId}/{m.ChunkIndex}").ToArray();
        if (ExactAtTestSize)
        {
            Assert.Equal(expected, found);
        }
        else
        {
            Assert.True(expected.Intersect(found).Count() >= 9, $"recall@10 {expected.Intersect(found).Count()}/10");
        }
        foreach (var match in matches)
        {
            var index = Array.FindIndex(owners, o => $"doc-{o.Document:D3}" == match.DocumentId && o.Chunk == match.ChunkIndex);
            Assert.Equal(TensorPrimitives.Dot(vectors[index], query), match.Score);
            Assert.Equal($"document {owners[index].Document} #{match.ChunkIndex}", match.Text);
        }
        Assert.Equal(matches.Select(m => m.Score).OrderByDescending(s => s), matches.Select(m => m.Score));
    }

    [Fact]
    public async Task Search_WithFilter_ReturnsOnlyAndAllTheBestMatchingChunks()
    {
        await using var store = await OpenStoreAsync();
        var settings = Settings();
        await store.CreateCollectionAsync(settings, Cancel);
        var (documents, vectors, owners) = Corpus(seed: 8);
        await store.UpsertAsync(settings.Name, documents, Cancel);
        var query = SyntheticVectors.Clustered(1, Dimensions, 1, seed: 5)[0];
        var filter = new Dictionary<string, MetadataValue> { ["group"] = MetadataValue.Of(1.0), ["tag"] = MetadataValue.Of("t1") };

        var matches = await store.SearchAsync(settings.Name, query, 10, filter, Cancel);
        var none = await store.SearchAsync(settings.Name, query, 10, new Dictionary<string, MetadataValue> { ["group"] = MetadataValue.Of("1") }, Cancel);
        var booleans = await store.SearchAsync(settings.Name, query, 5, new Dictionary<string, MetadataValue> { ["even"] = MetadataValue.Of(true) }, Cancel);

        var expected = SyntheticVectors.ExactNearest(vectors, query, 10, i => owners[i].Document % 3 == 1 && owners[i].Document % 2 == 1)
            .Select(i => $"doc-{owners[i].Document:D3}/{owners[i].Chunk}").ToArray();
        var found = matches.Select(m => $"{m.DocumentId}/{m.ChunkIndex}").ToArray();
        Assert.All(matches, m => Assert.Equal(1.0, m.Metadata["group"].Number));
        Assert.Equal(10, found.Length);
        Assert.True(expected.Intersect(found).Count() >= (ExactAtTestSize ? 10 : 9), $"{expected.Intersect(found).Count()}/10 of the filtered nearest");
        Assert.Empty(none);
        Assert.Equal(5, booleans.Count);
        Assert.All(booleans, m => Assert.True(m.Metadata["even"].Boolean));
    }

    [Fact]
    public async Task Upsert_ReplacingADocument_DropsItsOldChunksAndKeepsCountsAndVersion()
    {
        await using var store = await OpenStoreAsync();
        var settings = Settings();
        await store.CreateCollectionAsync(settings, Cancel);
        var vectors = SyntheticVectors.Clustered(4, Dimensions, 2, seed: 3);
        var first = await store.UpsertAsync(settings.Name, [Document("a", "alpha", vectors[..3]), Document("b", "beta", vectors[3..])], Cancel);
        var second = await store.UpsertAsync(settings.Name, [Document("a", "alpha two", vectors[3..])], Cancel);

        var info = (await store.FindCollectionAsync(settings.Name, Cancel))!;
        Assert.Equal(1, first);
        Assert.Equal(2, second);
        Assert.Equal(2, info.DocumentCount);
        Assert.Equal(2, info.ChunkCount);
        Assert.Equal(2, info.WriteVersion);
        var document = (await store.GetDocumentAsync(settings.Name, "a", Cancel))!;
        Assert.Equal("alpha two", document.Text);
        Assert.Equal(1, document.ChunkCount);
        var all = await store.SearchAsync(settings.Name, vectors[0], 10, DocumentMetadata.Empty, Cancel);
        Assert.Equal(2, all.Count);
        Assert.DoesNotContain(all, m => m.Text.StartsWith("alpha #", StringComparison.Ordinal));

        Assert.True(await store.DeleteDocumentAsync(settings.Name, "b", Cancel));
        Assert.False(await store.DeleteDocumentAsync(settings.Name, "b", Cancel));
        info = (await store.FindCollectionAsync(settings.Name, Cancel))!;
        Assert.Equal((1L, 1L, 3L), (info.DocumentCount, info.ChunkCount, info.WriteVersion));
        Assert.Null(await store.GetDocumentAsync(settings.Name, "b", Cancel));
    }

    [Fact]
    public async Task Collections_CreateListFindDelete_AndADuplicateNameIsAConflict()
    {
        await using var store = await OpenStoreAsync();
        var settings = Settings() with { ChunkTokens = 128, ChunkOverlap = 16 };
        var created = await store.CreateCollectionAsync(settings, Cancel);
        var duplicate = await Assert.ThrowsAsync<RetrievalException>(() => store.CreateCollectionAsync(settings with { Model = "other" }, Cancel));

        Assert.Equal(409, duplicate.Status);
        Assert.Equal(settings, created.Settings);
        Assert.Equal(settings, (await store.FindCollectionAsync(settings.Name, Cancel))!.Settings);
        Assert.Contains(await store.ListCollectionsAsync(Cancel), c => c.Name == settings.Name);
        Assert.True(await store.DeleteCollectionAsync(settings.Name, Cancel));
        Assert.False(await store.DeleteCollectionAsync(settings.Name, Cancel));
        Assert.Null(await store.FindCollectionAsync(settings.Name, Cancel));
        var missing = await Assert.ThrowsAsync<RetrievalException>(() => store.SearchAsync(settings.Name, new float[Dimensions], 1, DocumentMetadata.Empty, Cancel));
        Assert.Equal(404, missing.Status);
    }

    [Fact]
    public async Task Documents_ListInOrderAndReportTextHashes()
    {
        await using var store = await OpenStoreAsync();
        var settings = Settings();
        await store.CreateCollectionAsync(settings, Cancel);
        var vector = SyntheticVectors.Clustered(1, Dimensions, 1, seed: 1);
        await store.UpsertAsync(settings.Name, new[] { "c", "a", "b", "d" }.Select(id => Document(id, $"text {id}", vector)).ToArray(), Cancel);

        Assert.Equal(["a", "b"], await store.ListDocumentIdsAsync(settings.Name, null, 2, Cancel));
        Assert.Equal(["c", "d"], await store.ListDocumentIdsAsync(settings.Name, "b", 5, Cancel));
        var hashes = await store.GetTextHashesAsync(settings.Name, ["a", "zz"], Cancel);
        Assert.Equal(SHA256.HashData(Encoding.UTF8.GetBytes("text a")), Assert.Single(hashes).Value);
    }
}
