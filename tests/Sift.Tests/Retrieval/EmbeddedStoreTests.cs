using Microsoft.Extensions.Logging.Abstractions;
using Sift.Retrieval;
using Sift.Retrieval.Lexical;
using Sift.Retrieval.Stores.Embedded;
using Sift.Tests.Support;

namespace Sift.Tests.Retrieval;

/// <summary>The embedded store (SQLite + in-memory vectors + USearch HNSW) on a real database in a temporary directory.</summary>
public sealed class EmbeddedStoreTests : StoreContractTests, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sift-store-").FullName;

    protected override bool ExactAtTestSize => true;

    protected override Task<IRetrievalStore> OpenStoreAsync() =>
        Task.FromResult<IRetrievalStore>(EmbeddedStore.Open(new EmbeddedStoreOptions { Directory = _directory }, NullLogger.Instance));

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Open_TheSameDirectoryTwice_IsRefusedNamingIt()
    {
        await using var first = await OpenStoreAsync();
        var second = Assert.Throws<IOException>(() => EmbeddedStore.Open(new EmbeddedStoreOptions { Directory = _directory }, NullLogger.Instance));
        Assert.Contains("in use by another sift process", second.Message);
    }

    [Fact]
    public async Task SearchLexical_RacingTheCollectionsDeletion_Is404NotAnInternalError()
    {
        await using var store = await OpenStoreAsync();
        var settings = Settings() with { Hybrid = true };
        await store.CreateCollectionAsync(settings, Cancel);
        var vectors = SyntheticVectors.Clustered(1, Dimensions, 1, seed: 23);
        await store.UpsertAsync(settings, [Document("a", "printer error E4321", vectors)], Cancel);
        // A hybrid search found the collection, then a delete committed (rows and keyword table gone) before its keyword
        // read ran. That moment is made here by committing what DeleteCollectionAsync commits, under the store's catalog.
        await using (var raw = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_directory, "sift.db")};Pooling=False"))
        {
            await raw.OpenAsync(Cancel);
            await using var find = raw.CreateCommand();
            find.CommandText = "SELECT id FROM collections";
            var collectionId = (long)(await find.ExecuteScalarAsync(Cancel))!;
            await using var delete = raw.CreateCommand();
            delete.CommandText = $"DELETE FROM chunks; DELETE FROM documents; DELETE FROM collections; DROP TABLE {SqliteLexicalIndex.TableName(collectionId)};";
            await delete.ExecuteNonQueryAsync(Cancel);
        }

        var search = await Assert.ThrowsAsync<RetrievalException>(
            () => store.SearchLexicalAsync(settings.Name, "E4321", vectors[0], 5, DocumentMetadata.Empty, Cancel));

        Assert.Equal((404, "collection_not_found"), (search.Status, search.Code));
    }

    [Fact]
    public async Task Upsert_WhenTheDatabaseIsFull_Is503AndKeepsEveryAcknowledgedDocumentOnly()
    {
        var settings = Settings();
        var acknowledged = new List<string>();
        RetrievalException? full = null;
        await using (var store = EmbeddedStore.Open(new EmbeddedStoreOptions { Directory = _directory, MaxDatabaseBytes = 160 * 1024 }, NullLogger.Instance))
        {
            await store.CreateCollectionAsync(settings, Cancel);
            var vectors = SyntheticVectors.Clustered(1, Dimensions, 1, seed: 2);
            for (var i = 0; i < 200 && full is null; i++)
            {
                try
                {
                    await store.UpsertAsync(settings, [Document($"d{i:D3}", new string('x', 4000) + i, vectors)], Cancel);
                    acknowledged.Add($"d{i:D3}");
                }
                catch (RetrievalException e)
                {
                    full = e;
                }
            }
            Assert.NotNull(full);
            Assert.Equal(503, full.Status);
            Assert.Contains("full", full.Message);
            // The store keeps serving reads.
            Assert.NotEmpty(await store.SearchAsync(settings.Name, vectors[0], 3, DocumentMetadata.Empty, Cancel));
        }
        await using var reopened = await OpenStoreAsync();
        Assert.Equal(acknowledged, await reopened.ListDocumentIdsAsync(settings.Name, null, 1000, Cancel));
        Assert.Equal(acknowledged.Count, (await reopened.FindCollectionAsync(settings.Name, Cancel))!.DocumentCount);
    }

    [Fact]
    public async Task VectorIndex_IsBuiltSavedAndRebuiltWithALogLineWhenItsFileIsCorrupted()
    {
        var settings = Settings();
        var vectors = SyntheticVectors.Clustered(600, Dimensions, 8, seed: 11);
        var queries = SyntheticVectors.Clustered(20, Dimensions, 8, seed: 12);
        var options = new EmbeddedStoreOptions { Directory = _directory, ExactSearchMaxChunks = 100 };
        int[][] expected = queries.Select(q => SyntheticVectors.ExactNearest(vectors, q, 10)).ToArray();
        await using (var store = EmbeddedStore.Open(options, NullLogger.Instance))
        {
            await store.CreateCollectionAsync(settings, Cancel);
            await store.UpsertAsync(settings, vectors.Select((v, i) => Document($"d{i:D4}", $"t{i}", [v])).ToArray(), Cancel);
            await store.WaitForIndexesAsync();
            Assert.True(store.UsesIndex(settings.Name));
            Assert.True(await RecallAsync(store, settings.Name, queries, expected) >= 0.95);
        }
        var indexFile = Directory.GetFiles(Path.Combine(_directory, "indexes"), "*.usearch").Single();
        var bytes = File.ReadAllBytes(indexFile);
        for (var i = 64; i < bytes.Length; i += 97)
        {
            bytes[i] ^= 0x5A;
        }
        File.WriteAllBytes(indexFile, bytes);

        var log = new ListLogger();
        await using (var store = EmbeddedStore.Open(options, log))
        {
            Assert.Contains(log.Lines, l => l.Contains("rebuilding its vector index", StringComparison.Ordinal) && l.Contains("corrupted", StringComparison.Ordinal));
            await store.WaitForIndexesAsync();
            Assert.True(store.UsesIndex(settings.Name));
            Assert.True(await RecallAsync(store, settings.Name, queries, expected) >= 0.95);
        }
        var clean = new ListLogger();
        await using (var store = EmbeddedStore.Open(options, clean))
        {
            Assert.Contains(clean.Lines, l => l.Contains("loaded its saved vector index", StringComparison.Ordinal));
            Assert.True(store.UsesIndex(settings.Name));
        }
    }

    [Fact]
    public async Task VectorIndex_WritesDuringAndAfterTheBuild_AreSearchable()
    {
        var settings = Settings();
        var vectors = SyntheticVectors.Clustered(400, Dimensions, 8, seed: 21);
        await using var store = EmbeddedStore.Open(new EmbeddedStoreOptions { Directory = _directory, ExactSearchMaxChunks = 100 }, NullLogger.Instance);
        await store.CreateCollectionAsync(settings, Cancel);
        await store.UpsertAsync(settings, vectors[..200].Select((v, i) => Document($"d{i:D4}", $"t{i}", [v])).ToArray(), Cancel);
        await store.UpsertAsync(settings, vectors[200..].Select((v, i) => Document($"d{i + 200:D4}", $"t{i + 200}", [v])).ToArray(), Cancel);
        await store.DeleteDocumentAsync(settings.Name, "d0399", Cancel);
        await store.WaitForIndexesAsync();

        foreach (var i in new[] { 0, 150, 250, 398 })
        {
            var top = await store.SearchAsync(settings.Name, vectors[i], 1, DocumentMetadata.Empty, Cancel);
            Assert.Equal($"d{i:D4}", top[0].DocumentId);
        }
        var deleted = await store.SearchAsync(settings.Name, vectors[399], 5, DocumentMetadata.Empty, Cancel);
        Assert.DoesNotContain(deleted, m => m.DocumentId == "d0399");
    }

    private static async Task<double> RecallAsync(IRetrievalStore store, string name, float[][] queries, int[][] expected)
    {
        var hits = 0;
        for (var q = 0; q < queries.Length; q++)
        {
            var found = (await store.SearchAsync(name, queries[q], 10, DocumentMetadata.Empty, Cancel)).Select(m => m.DocumentId).ToHashSet();
            hits += expected[q].Count(i => found.Contains($"d{i:D4}"));
        }
        return hits / (double)(queries.Length * 10);
    }
}
