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
        var corrupt = Tokenizer.Load(Fixtures.EmbeddingModel).Encode(" Hello", addSpecialTokens: false).Single();
        var spec = new TinyQwen3Spec { Hidden = 64, Heads = 4, KeyValueHeads = 2, HeadDim = 32, Intermediate = 128, EmbeddingType = TensorType.F32,
            Edit = (name, values) => { if (name == "embed_tokens.weight") { values[corrupt * 64 + 5] = float.NaN; } } };
        using var embedding = TinyQwen3Checkpoint.Create(spec);
        using var reranker = TinyQwen3Checkpoint.Create(spec with { Seed = 8 });
        await using var server = await TestServer.StartAsync(new ServerOptions { Model = embedding.Directory, Reranker = reranker.Directory });

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
