using System.Numerics.Tensors;
using Sift.Retrieval;
using Sift.Retrieval.Stores.Postgres;
using Sift.Tests.Support;

namespace Sift.Tests.Retrieval;

/// <summary>The PostgreSQL store against real PostgreSQL with pgvector (PGlite over the wire).</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreTests(PgliteServer postgres) : StoreContractTests
{
    // HNSW is approximate; the contract's checks allow one miss in ten for it.
    protected override bool ExactAtTestSize => false;

    protected override async Task<IRetrievalStore> OpenStoreAsync()
    {
        postgres.Require();
        return await PostgresStore.OpenAsync(new PostgresStoreOptions { ConnectionString = postgres.ConnectionString }, Cancel);
    }

    [Fact]
    public async Task WideVectors_AreStoredAsHalfvecWithAnIndexAndScoredFromTheStoredValues()
    {
        await using var store = await OpenStoreAsync();
        var settings = Settings(dimensions: 2048);
        await store.CreateCollectionAsync(settings, Cancel);
        var vectors = SyntheticVectors.Clustered(40, 2048, 4, seed: 31);
        await store.UpsertAsync(settings.Name, vectors.Select((v, i) => Document($"w{i:D2}", $"wide {i}", [v])).ToArray(), Cancel);

        var matches = await store.SearchAsync(settings.Name, vectors[7], 3, DocumentMetadata.Empty, Cancel);

        Assert.Equal("w07", matches[0].DocumentId);
        var stored = vectors[7].Select(v => (float)(Half)v).ToArray();
        Assert.Equal(TensorPrimitives.Dot(stored, vectors[7]), matches[0].Score);
    }

    [Fact]
    public async Task Replicas_SharingTheDatabase_SeeEachOthersWrites()
    {
        postgres.Require();
        // Two stores (two Sift replicas), one connection each at a time: PGlite serves one at once.
        var options = new PostgresStoreOptions { ConnectionString = postgres.With("Pooling=false") };
        var settings = Settings();
        var vectors = SyntheticVectors.Clustered(2, Dimensions, 1, seed: 41);
        await using var first = await PostgresStore.OpenAsync(options, Cancel);
        await using var second = await PostgresStore.OpenAsync(options, Cancel);
        await first.CreateCollectionAsync(settings, Cancel);
        await first.UpsertAsync(settings.Name, [Document("one", "from the first", vectors[..1])], Cancel);
        await second.UpsertAsync(settings.Name, [Document("two", "from the second", vectors[1..])], Cancel);

        var seenByFirst = (await first.FindCollectionAsync(settings.Name, Cancel))!;
        Assert.Equal((2L, 2L), (seenByFirst.DocumentCount, seenByFirst.WriteVersion));
        Assert.Equal("from the second", (await first.GetDocumentAsync(settings.Name, "two", Cancel))!.Text);
        var conflict = await Assert.ThrowsAsync<RetrievalException>(() => second.CreateCollectionAsync(settings, Cancel));
        Assert.Equal(409, conflict.Status);
    }

    [Fact]
    public async Task Unreachable_Database_Is503AndNothingUnacknowledgedIsWritten()
    {
        postgres.Require();
        await using var proxy = new TcpProxy(postgres.Port);
        var options = new PostgresStoreOptions { ConnectionString = $"Host=127.0.0.1;Port={proxy.Port};Username=postgres;Password=postgres;Database=postgres;Pooling=false;Timeout=5" };
        var settings = Settings();
        var vectors = SyntheticVectors.Clustered(2, Dimensions, 1, seed: 51);
        await using var store = await PostgresStore.OpenAsync(options, Cancel);
        await store.CreateCollectionAsync(settings, Cancel);
        await store.UpsertAsync(settings.Name, [Document("kept", "written before", vectors[..1])], Cancel);

        await proxy.CutAsync();
        var upsert = await Assert.ThrowsAsync<RetrievalException>(() => store.UpsertAsync(settings.Name, [Document("lost", "not written", vectors[1..])], Cancel));
        var search = await Assert.ThrowsAsync<RetrievalException>(() => store.SearchAsync(settings.Name, vectors[0], 1, DocumentMetadata.Empty, Cancel));
        proxy.Restore();

        Assert.Equal((503, 503), (upsert.Status, search.Status));
        Assert.Contains("cannot be reached", upsert.Message);
        // The database answers again once the network is back (PGlite may need a moment to drop the cut session).
        IReadOnlyList<string>? ids = null;
        for (var attempt = 0; attempt < 100 && ids is null; attempt++)
        {
            try
            {
                ids = await store.ListDocumentIdsAsync(settings.Name, null, 10, Cancel);
            }
            catch (RetrievalException e) when (e.Status == 503)
            {
                await Task.Delay(100, Cancel);
            }
        }
        Assert.Equal(["kept"], ids);
        Assert.Single(await store.SearchAsync(settings.Name, vectors[0], 5, DocumentMetadata.Empty, Cancel));
    }

    [Fact]
    public async Task Open_WithNothingListening_Is503NamingTheDatabase()
    {
        var e = await Assert.ThrowsAsync<RetrievalException>(() =>
            PostgresStore.OpenAsync(new PostgresStoreOptions { ConnectionString = "postgres://sift:secret@127.0.0.1:1/nowhere?connect_timeout=5" }, Cancel));
        Assert.Equal(503, e.Status);
        Assert.Contains("127.0.0.1:1/nowhere", e.Message);
        Assert.DoesNotContain("secret", e.Message);
    }

    [Theory]
    [InlineData("postgres://u:p%40ss@db.example:6543/sift?sslmode=disable", "Host=db.example;Port=6543;Database=sift;Username=u;Password=p@ss;SSL Mode=Disable")]
    [InlineData("postgresql://localhost/sift", "Host=localhost;Port=5432;Database=sift")]
    [InlineData("Host=h;Database=d", "Host=h;Database=d")]
    public void ConnectionString_UrlsBecomeNpgsqlConnectionStrings(string value, string expected)
    {
        var normalized = new Npgsql.NpgsqlConnectionStringBuilder(PostgresConnectionString.Normalize(value));
        Assert.True(normalized.EquivalentTo(new Npgsql.NpgsqlConnectionStringBuilder(expected)), normalized.ConnectionString);
    }
}
