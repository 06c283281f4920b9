using System.ClientModel;
using System.Net;
using System.Text.Json;
using OpenAI;
using OpenAI.Embeddings;
using Sift.Engine;
using Sift.Tests.Engine;
using Sift.Tests.Qwen3;

namespace Sift.Tests.Server;

public sealed class OpenAiEmbeddingsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private TestServer Server => fixture.Server;

    private EmbeddingClient Client(string model = TestServer.EmbeddingName) =>
        new(model, new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(Server.Address, "/v1") });

    [Fact]
    public async Task OpenAiSdk_Embeddings_MatchTheReferenceAndTheEngineBitwise()
    {
        // OpenAI refuses empty strings, so the empty reference document is left out.
        var cases = ReferenceCases.Embedding.Value.Skip(3).Where(c => c.Text.Length > 0).ToArray();
        var result = await Client().GenerateEmbeddingsAsync(cases.Select(c => c.Text).ToArray(), cancellationToken: TestContext.Current.CancellationToken);
        var direct = ModelFixtures.Embedder.Value.Embed(cases.Select(c => EmbeddingInput.Document(c.Text)).ToArray());
        for (var i = 0; i < cases.Length; i++)
        {
            var vector = result.Value[i].ToFloats().ToArray();
            Assert.Equal(direct[i].Vector, vector);
            Assert.True(vector.Select((v, c) => Math.Abs(v - cases[i].Embedding[c])).Max() < 1e-4);
        }
        Assert.Equal(cases.Sum(c => c.InputIds.Length), result.Value.Usage.InputTokenCount);
    }

    [Fact]
    public async Task OpenAiSdk_WithDimensions_ReturnsMatryoshkaVectors()
    {
        var reference = ReferenceCases.Embedding.Value[4];
        var result = await Client().GenerateEmbeddingAsync(reference.Text, new EmbeddingGenerationOptions { Dimensions = 32 },
            TestContext.Current.CancellationToken);
        var vector = result.Value.ToFloats().ToArray();
        Assert.Equal(32, vector.Length);
        Assert.True(vector.Select((v, c) => Math.Abs(v - reference.EmbeddingDim32[c])).Max() < 1e-4);
    }

    [Fact]
    public async Task OpenAiSdk_UnknownModel_FailsWith400NamingTheModel()
    {
        var error = await Assert.ThrowsAsync<ClientResultException>(() => Client("no-such-model").GenerateEmbeddingAsync("x", cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(400, error.Status);
        Assert.Contains("no-such-model", error.Message);
    }

    [Fact]
    public async Task Embeddings_FloatFormat_HasTheOpenAiShape()
    {
        var response = await Server.PostJsonAsync("/v1/embeddings", new { input = "Hello world", model = TestServer.EmbeddingName, user = "someone" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var root = json.RootElement;
        Assert.Equal("list", root.GetProperty("object").GetString());
        Assert.Equal(TestServer.EmbeddingName, root.GetProperty("model").GetString());
        var item = root.GetProperty("data")[0];
        Assert.Equal("embedding", item.GetProperty("object").GetString());
        Assert.Equal(0, item.GetProperty("index").GetInt32());
        Assert.Equal(64, item.GetProperty("embedding").GetArrayLength());
        Assert.Equal(3, root.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(3, root.GetProperty("usage").GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task Embeddings_TokenIdInputs_EqualTheirTextInputs()
    {
        var reference = ReferenceCases.Embedding.Value[3];
        var asText = await EmbedAsync(new { input = reference.Text });
        var asIds = await EmbedAsync(new { input = reference.InputIds });
        var asIdLists = await EmbedAsync(new { input = new[] { reference.InputIds, reference.InputIds[..^1] } });
        Assert.Equal(asText[0], asIds[0]);
        Assert.Equal(asText[0], asIdLists[0]);
        Assert.Equal(asText[0], asIdLists[1]);
    }

    [Fact]
    public async Task Embeddings_InstructionAndInputType_FormatQueries()
    {
        var reference = ReferenceCases.Embedding.Value[2];
        var withTask = await EmbedAsync(new { input = new[] { "苹果手机电池续航差怎么办" }, instruction = "Given a user question about phones, retrieve helpful answers" });
        Assert.True(withTask[0].Select((v, c) => Math.Abs(v - reference.Embedding[c])).Max() < 1e-4);

        var query = ReferenceCases.Embedding.Value[0];
        var asQuery = await EmbedAsync(new { input = "What is the capital of China?", input_type = "query" });
        Assert.True(asQuery[0].Select((v, c) => Math.Abs(v - query.Embedding[c])).Max() < 1e-4);
    }

    [Fact]
    public async Task Embeddings_Base64_IsLittleEndianFloat32OfTheFloatResponse()
    {
        var floats = await EmbedAsync(new { input = "base64 please" });
        var response = await Server.PostJsonAsync("/v1/embeddings", new { input = "base64 please", encoding_format = "base64" });
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var bytes = Convert.FromBase64String(json.RootElement.GetProperty("data")[0].GetProperty("embedding").GetString()!);
        var decoded = new float[bytes.Length / 4];
        for (var i = 0; i < decoded.Length; i++)
        {
            decoded[i] = BitConverter.ToSingle(bytes, i * 4);
        }
        Assert.Equal(floats[0], decoded);
    }

    [Fact]
    public async Task Models_ListsBothServedModels()
    {
        using var json = JsonDocument.Parse(await Server.Http.GetStringAsync("/v1/models", TestContext.Current.CancellationToken));
        var ids = json.RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()!).ToArray();
        Assert.Equal([TestServer.EmbeddingName, TestServer.RerankerName], ids);
        Assert.Equal("list", json.RootElement.GetProperty("object").GetString());
    }

    private async Task<float[][]> EmbedAsync(object body)
    {
        var response = await Server.PostJsonAsync("/v1/embeddings", body);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, text);
        using var json = JsonDocument.Parse(text);
        return json.RootElement.GetProperty("data").EnumerateArray()
            .Select(d => d.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
    }
}
