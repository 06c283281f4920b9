using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Npgsql;
using Sift.Retrieval;
using Sift.Retrieval.Stores.Embedded;
using Sift.Retrieval.Stores.Postgres;
using Sift.Tests.Support;

namespace Sift.Tests.Retrieval;

/// <summary>Databases written before hybrid search (no hybrid column, no lexical index) are brought up to date when a store opens them.</summary>
[Collection(PostgresCollection.Name)]
public sealed class LexicalUpgradeTests(PgliteServer postgres) : IDisposable
{
    private const int Dimensions = 8;
    private static readonly CancellationToken Cancel = TestContext.Current.CancellationToken;
    private readonly string _directory = Directory.CreateTempSubdirectory("sift-upgrade-").FullName;

    [Fact]
    public async Task EmbeddedStore_OlderDatabase_GetsTheHybridColumnAndBuildsTheLexicalIndexFromItsChunks()
    {
        var settings = new CollectionSettings { Name = "old", Model = "m", Dimensions = Dimensions };
        await using (var store = EmbeddedStore.Open(new EmbeddedStoreOptions { Directory = _directory }, new ListLogger()))
        {
            await store.CreateCollectionAsync(settings, Cancel);
            await store.UpsertAsync(settings, [Document("a", "北京是首都"), Document("b", "the walrus sleeps")], Cancel);
        }
        using (var database = new SqliteConnection($"Data Source={Path.Combine(_directory, "sift.db")};Pooling=False"))
        {
            database.Open();
            using var downgrade = database.CreateCommand();
            downgrade.CommandText = "DROP TABLE lexical_1; ALTER TABLE collections DROP COLUMN hybrid;";
            downgrade.ExecuteNonQuery();
        }

        var logger = new ListLogger();
        await using var reopened = EmbeddedStore.Open(new EmbeddedStoreOptions { Directory = _directory }, logger);

        Assert.False((await reopened.FindCollectionAsync("old", Cancel))!.Settings.Hybrid);
        Assert.Equal("a", Assert.Single(await reopened.SearchLexicalAsync("old", "北京", Unit(), 5, DocumentMetadata.Empty, Cancel)).DocumentId);
        Assert.Contains(logger.Lines, l => l.Contains("collection old: built its lexical index from 2 stored chunks"));
    }

    [Fact]
    public async Task PostgresStore_OlderDatabase_GetsTheHybridColumnAndTheTermsOfItsChunks()
    {
        postgres.Require();
        var options = new PostgresStoreOptions { ConnectionString = postgres.ConnectionString };
        var settings = new CollectionSettings { Name = $"old{Guid.NewGuid():N}"[..12], Model = "m", Dimensions = Dimensions };
        await using (var store = await PostgresStore.OpenAsync(options, Cancel))
        {
            await store.CreateCollectionAsync(settings, Cancel);
            await store.UpsertAsync(settings, [Document("a", "北京是首都"), Document("b", "the walrus sleeps")], Cancel);
        }
        await using (var connection = new NpgsqlConnection(postgres.ConnectionString))
        {
            await connection.OpenAsync(Cancel);
            await using var id = new NpgsqlCommand("SELECT id FROM sift_collections WHERE name = $1", connection) { Parameters = { new() { Value = settings.Name } } };
            var collectionId = (long)(await id.ExecuteScalarAsync(Cancel))!;
            await using var downgrade = new NpgsqlCommand(
                $"ALTER TABLE sift_chunks_{collectionId} DROP COLUMN terms; ALTER TABLE sift_collections DROP COLUMN hybrid;", connection);
            await downgrade.ExecuteNonQueryAsync(Cancel);
        }

        await using var reopened = await PostgresStore.OpenAsync(options, Cancel);

        Assert.False((await reopened.FindCollectionAsync(settings.Name, Cancel))!.Settings.Hybrid);
        Assert.Equal("b", Assert.Single(await reopened.SearchLexicalAsync(settings.Name, "walrus", Unit(), 5, DocumentMetadata.Empty, Cancel)).DocumentId);
        Assert.Equal("a", Assert.Single(await reopened.SearchLexicalAsync(settings.Name, "首都", Unit(), 5, DocumentMetadata.Empty, Cancel)).DocumentId);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static float[] Unit()
    {
        var vector = new float[Dimensions];
        vector[0] = 1;
        return vector;
    }

    private static IndexedDocument Document(string id, string text) =>
        new(new DocumentInput(id, text, DocumentMetadata.Empty), SHA256.HashData(Encoding.UTF8.GetBytes(text)), [new EmbeddedChunk(0, text, Unit())]);
}
