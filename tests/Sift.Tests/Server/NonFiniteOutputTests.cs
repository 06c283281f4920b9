using System.Net;
using System.Text.Json;
using Sift.Checkpoints;
using Sift.Qwen3;
using Sift.Server.Hosting;
using Sift.Tests.Support;
using Sift.Tokenization;

namespace Sift.Tests.Server;

public sealed class NonFiniteOutputTests
{
    [Fact]
    public async Task NaNInAnOutput_Is500WithAJsonError_AndTheServerKeepsServing()
    {
        // " Hello" reads an embedding row that holds NaN: every output of an input containing it is NaN.
        using var models = new NaNModels();
        await using var server = await models.StartServerAsync();

        foreach (var (path, body) in new[]
        {
            ("/v1/embeddings", """{"input": ["fine", "say Hello"]}"""),
            ("/v1/embeddings", """{"input": "say Hello", "encoding_format": "base64"}"""),
            ("/embed", """{"inputs": "say Hello"}"""),
            ("/v1/rerank", """{"query": "q", "documents": ["fine", "say Hello"]}"""),
            ("/rerank", """{"query": "q", "texts": ["say Hello"]}"""),
        })
        {
            var response = await server.PostRawAsync(path, body);
            var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            using var json = JsonDocument.Parse(text);
            var message = path.StartsWith("/v", StringComparison.Ordinal)
                ? json.RootElement.GetProperty("error").GetProperty("message").GetString()
                : json.RootElement.GetProperty("error").GetString();
            Assert.Contains("NaN or infinity for input", message);
        }
        Assert.Equal(HttpStatusCode.OK, (await server.PostRawAsync("/v1/embeddings", """{"input": "fine"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.PostRawAsync("/v1/rerank", """{"query": "q", "documents": ["fine"]}""")).StatusCode);
    }

    [Fact]
    public async Task NaNInACollectionsEmbedding_RefusesTheUpsertWhole_AndTheSearch_AndKeepsWhatWasAcknowledged()
    {
        using var models = new NaNModels();
        await using var server = await models.StartServerAsync();
        var cancel = TestContext.Current.CancellationToken;
        using (var created = await server.PostRawAsync("/v1/collections", """{"name": "nan", "chunk_tokens": 16, "chunk_overlap": 0}"""))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        using (var first = await server.PostRawAsync("/v1/collections/nan/documents", """{"documents": [{"id": "kept", "text": "a fine document"}]}"""))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        var before = await CollectionAsync(server, cancel);

        // The bad token sits in a later chunk of the second document: the first document and every other chunk embed fine.
        var longText = string.Join(' ', Enumerable.Repeat("words that are fine", 12)) + " then say Hello";
        var upsert = await server.PostJsonAsync("/v1/collections/nan/documents",
            new { documents = new[] { new { id = "new", text = "another fine document" }, new { id = "chunked", text = longText } } });
        await AssertNonFiniteAsync(upsert, cancel);
        var after = await CollectionAsync(server, cancel);
        Assert.Equal((1, before.Chunks, before.WriteVersion), (after.Documents, after.Chunks, after.WriteVersion));
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http.GetAsync("/v1/collections/nan/documents/new", cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("/v1/collections/nan/documents/kept", cancel)).StatusCode);

        // A query whose embedding is NaN is an error, not an empty or arbitrary ranking; with and without the result cache's key.
        await AssertNonFiniteAsync(await server.PostRawAsync("/v1/collections/nan/search", """{"query": "say Hello"}"""), cancel);
        await AssertNonFiniteAsync(await server.PostRawAsync("/v1/collections/nan/search", """{"query": "say Hello", "rerank": false}"""), cancel);
        await AssertNonFiniteAsync(await server.PostRawAsync("/v1/collections/nan/search", """{"query": "say Hello"}"""), cancel);

        using var fine = await server.PostRawAsync("/v1/collections/nan/search", """{"query": "fine"}""");
        Assert.Equal(HttpStatusCode.OK, fine.StatusCode);
        using var results = JsonDocument.Parse(await fine.Content.ReadAsStringAsync(cancel));
        Assert.Equal("kept", results.RootElement.GetProperty("results")[0].GetProperty("id").GetString());
        using var retried = await server.PostRawAsync("/v1/collections/nan/documents", """{"documents": [{"id": "new", "text": "another fine document"}]}""");
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
    }

    private static async Task AssertNonFiniteAsync(HttpResponseMessage response, CancellationToken cancel)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancel);
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            using var json = JsonDocument.Parse(text);
            var error = json.RootElement.GetProperty("error");
            Assert.Contains("NaN or infinity for input", error.GetProperty("message").GetString());
            Assert.Equal("non_finite_output", error.GetProperty("code").GetString());
        }
    }

    private static async Task<(long Documents, long Chunks, long WriteVersion)> CollectionAsync(TestServer server, CancellationToken cancel)
    {
        using var json = JsonDocument.Parse(await server.Http.GetStringAsync("/v1/collections/nan", cancel));
        var root = json.RootElement;
        return (root.GetProperty("documents").GetInt64(), root.GetProperty("chunks").GetInt64(), root.GetProperty("write_version").GetInt64());
    }

    [Fact]
    public void ExplainNonFinite_NamesTheCorruptEmbeddingRow()
    {
        var spec = new TinyQwen3Spec { EmbeddingType = TensorType.F32, Edit = (name, values) => { if (name == "embed_tokens.weight") { values[42 * 48] = float.PositiveInfinity; } } };
        using var checkpoint = TinyQwen3Checkpoint.Create(spec);
        using var model = Qwen3Model.Load(Qwen3Config.Load(checkpoint.Directory), SafetensorsCheckpoint.Open(checkpoint.Directory));
        Assert.Contains("token 42", model.ExplainNonFinite([7, 42, 9]));
        Assert.Contains("overflowed", model.ExplainNonFinite([7, 9]));
    }

    [Fact]
    public void Load_ALayerWeightHoldingNaN_IsRefusedNamingTheTensorAndRow()
    {
        var spec = new TinyQwen3Spec { Edit = (name, values) => { if (name == "layers.1.mlp.down_proj.weight") { values[3 * 72 + 1] = float.NaN; } } };
        using var checkpoint = TinyQwen3Checkpoint.Create(spec);
        var error = Assert.Throws<NonFiniteWeightException>(() => Qwen3Model.Load(Qwen3Config.Load(checkpoint.Directory), SafetensorsCheckpoint.Open(checkpoint.Directory)));
        Assert.Equal(("layers.1.mlp.down_proj.weight", 3), (error.Tensor, error.Row));
        Assert.Contains("layers.1.mlp.down_proj.weight", error.Message);
        Assert.Contains("row 3", error.Message);
    }
}
