using Sift.Client;
using Sift.Tests.Server;

namespace Sift.Tests.Client;

/// <summary>The SDK's collection and search methods against a real server with a real embedded database.</summary>
public sealed class SiftCollectionsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static readonly CancellationToken Cancel = TestContext.Current.CancellationToken;

    [Fact]
    public async Task Collections_CreateUpsertSearchGetAndDelete_RoundTripThroughTheServer()
    {
        using var collections = new SiftCollections(new SiftClientOptions { Endpoint = fixture.Server.Address });
        var name = $"sdk{Guid.NewGuid():N}"[..12];
        var created = await collections.CreateAsync(name, new SiftCollectionOptions { Dimensions = 32, ChunkTokens = 64, ChunkOverlap = 8 }, Cancel);
        Assert.Equal((TestServer.EmbeddingName, 32, 64, 8), (created.Model, created.Dimensions, created.ChunkTokens, created.ChunkOverlap));

        var upserted = await collections.UpsertAsync(name, [
            new SiftDocument("beijing", "Beijing is the capital of China.", new Dictionary<string, object> { ["topic"] = "geo", ["year"] = 2024, ["checked"] = true }),
            new SiftDocument("gravity", "Gravity attracts bodies.", new Dictionary<string, object> { ["topic"] = "physics", ["year"] = 2023L }),
            new SiftDocument("a/b c", "An id with a slash and a space."),
        ], Cancel);
        Assert.Equal((3, 1L), (upserted.Upserted, upserted.WriteVersion));

        var found = await collections.SearchAsync(name, "capital of China", new SiftSearchOptions { TopN = 2, Filter = new Dictionary<string, object> { ["year"] = 2024 } }, Cancel);
        var hit = Assert.Single(found.Results);
        Assert.Equal("beijing", hit.Id);
        Assert.True(found.Reranked);
        Assert.Equal("geo", hit.Metadata["topic"]);
        Assert.Equal(2024.0, hit.Metadata["year"]);
        Assert.Equal(true, hit.Metadata["checked"]);
        Assert.Contains("rerank", found.TimingsMs.Keys);

        var vectorOrder = await collections.SearchAsync(name, "capital of China", new SiftSearchOptions { Rerank = false, TopK = 3, TopN = 3 }, Cancel);
        Assert.False(vectorOrder.Reranked);
        Assert.Equal(3, vectorOrder.Results.Count);

        var document = await collections.GetDocumentAsync(name, "a/b c", Cancel);
        Assert.Equal("An id with a slash and a space.", document!.Text);
        Assert.Equal(1, document.Chunks);
        Assert.Equal(["a/b c", "beijing", "gravity"], await collections.ListDocumentIdsAsync(name, cancellationToken: Cancel));
        Assert.True(await collections.DeleteDocumentAsync(name, "a/b c", Cancel));
        Assert.Null(await collections.GetDocumentAsync(name, "a/b c", Cancel));
        Assert.Contains(await collections.ListAsync(Cancel), c => c.Name == name && c.Documents == 2);
        Assert.True(await collections.DeleteAsync(name, Cancel));
        Assert.False(await collections.DeleteAsync(name, Cancel));
        Assert.Null(await collections.GetAsync(name, Cancel));
    }

    [Fact]
    public async Task DocumentIds_WithDotSegments_AreRefused_SoTheyNeverAddressAnotherResource()
    {
        using var collections = new SiftCollections(new SiftClientOptions { Endpoint = fixture.Server.Address });
        var name = $"sdk{Guid.NewGuid():N}"[..12];
        var victim = $"sdk{Guid.NewGuid():N}"[..12];
        await collections.CreateAsync(name, cancellationToken: Cancel);
        await collections.CreateAsync(victim, cancellationToken: Cancel);

        // As a URL path, documents/../../{victim} is the collection {victim} itself.
        await Assert.ThrowsAsync<ArgumentException>(() => collections.DeleteDocumentAsync(name, $"../../{victim}", Cancel));
        await Assert.ThrowsAsync<ArgumentException>(() => collections.GetDocumentAsync(name, "..", Cancel));
        var upsert = await Assert.ThrowsAsync<SiftApiException>(() => collections.UpsertAsync(name, [new SiftDocument("a/./b", "t")], Cancel));

        Assert.NotNull(await collections.GetAsync(victim, Cancel));
        Assert.Equal((400, "invalid_id"), (upsert.Status, upsert.Code));
        Assert.Empty(await collections.ListDocumentIdsAsync(name, cancellationToken: Cancel));
    }

    [Fact]
    public async Task DocumentCalls_OnAMissingCollection_ThrowCollectionNotFound_RatherThanAnswerNoSuchDocument()
    {
        using var collections = new SiftCollections(new SiftClientOptions { Endpoint = fixture.Server.Address });

        var get = await Assert.ThrowsAsync<SiftApiException>(() => collections.GetDocumentAsync("no-such-collection", "x", Cancel));
        var delete = await Assert.ThrowsAsync<SiftApiException>(() => collections.DeleteDocumentAsync("no-such-collection", "x", Cancel));

        Assert.Equal((404, "collection_not_found"), (get.Status, get.Code));
        Assert.Equal((404, "collection_not_found"), (delete.Status, delete.Code));
    }

    [Fact]
    public async Task Refusals_SurfaceAsSiftApiExceptionsWithStatusAndCode()
    {
        using var collections = new SiftCollections(new SiftClientOptions { Endpoint = fixture.Server.Address });
        var missing = await Assert.ThrowsAsync<SiftApiException>(() => collections.SearchAsync("no-such-collection", "q", cancellationToken: Cancel));
        Assert.Equal((404, "collection_not_found"), (missing.Status, missing.Code));
        var name = $"sdk{Guid.NewGuid():N}"[..12];
        await collections.CreateAsync(name, cancellationToken: Cancel);
        var duplicate = await Assert.ThrowsAsync<SiftApiException>(() => collections.CreateAsync(name, cancellationToken: Cancel));
        Assert.Equal((409, "collection_exists"), (duplicate.Status, duplicate.Code));
        var badMetadata = Assert.Throws<ArgumentException>(() =>
            collections.UpsertAsync(name, [new SiftDocument("x", "t", new Dictionary<string, object> { ["when"] = DateTime.UnixEpoch })], Cancel).GetAwaiter().GetResult());
        Assert.Contains("'when'", badMetadata.Message);
        // A 64-bit id reaches the server as the integer it is, which refuses it rather than store it altered.
        var wideId = await Assert.ThrowsAsync<SiftApiException>(() =>
            collections.UpsertAsync(name, [new SiftDocument("x", "t", new Dictionary<string, object> { ["user"] = 1234567890123456789L })], Cancel));
        Assert.Equal((400, "invalid_metadata"), (wideId.Status, wideId.Code));
        Assert.Contains("1234567890123456789", wideId.Message);
    }
}
