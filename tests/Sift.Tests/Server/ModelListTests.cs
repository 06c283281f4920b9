using System.ClientModel;
using System.Security.Cryptography;
using System.Text.Json;
using OpenAI;
using OpenAI.Models;

namespace Sift.Tests.Server;

/// <summary>GET /v1/models: the OpenAI shape (read by the official SDK) plus what an operator checks about each model.</summary>
public sealed class ModelListTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task OfficialSdk_ListsTheServedModels()
    {
        var client = new OpenAIModelClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(fixture.Server.Address, "/v1") });
        var models = (await client.GetModelsAsync(TestContext.Current.CancellationToken)).Value;
        Assert.Equal([TestServer.EmbeddingName, TestServer.RerankerName], models.Select(m => m.Id));
        Assert.All(models, m => Assert.Equal("sift", m.OwnedBy));
    }

    [Fact]
    public async Task EachModel_ReportsKindLimitsDtypeThreadsKernelPathAndTheSha256OfItsWeightFiles()
    {
        // Digests are computed in the background after loading; poll until they are there.
        JsonElement[] models;
        var attempts = 0;
        do
        {
            using var json = JsonDocument.Parse(await fixture.Server.Http.GetStringAsync("/v1/models", TestContext.Current.CancellationToken));
            models = json.RootElement.GetProperty("data").EnumerateArray().Select(m => m.Clone()).ToArray();
            if (models.All(m => m.GetProperty("files").EnumerateArray().All(f => f.GetProperty("sha256").ValueKind == JsonValueKind.String)))
            {
                break;
            }
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
        while (++attempts < 400);

        var embedding = models.Single(m => m.GetProperty("id").GetString() == TestServer.EmbeddingName);
        Assert.Equal("embedding", embedding.GetProperty("kind").GetString());
        Assert.Equal(32768, embedding.GetProperty("max_model_len").GetInt32());
        Assert.Equal(64, embedding.GetProperty("dimensions").GetInt32());
        Assert.Equal("bf16", embedding.GetProperty("dtype").GetString());
        Assert.Equal(Environment.ProcessorCount, embedding.GetProperty("threads").GetInt32());
        Assert.Equal(Sift.Kernels.KernelPath.Current.Name, embedding.GetProperty("kernel_path").GetString());
        Assert.Equal(Sift.Kernels.KernelPath.Current.InstructionSet, embedding.GetProperty("kernel_instruction_set").GetString());
        Assert.Equal(16384, embedding.GetProperty("max_batch_tokens").GetInt32());
        Assert.Equal(JsonValueKind.Null, embedding.GetProperty("memory_budget").ValueKind);
        Assert.Equal(JsonValueKind.Null, embedding.GetProperty("revision").ValueKind);
        var file = Assert.Single(embedding.GetProperty("files").EnumerateArray());
        var weights = Path.Combine(Fixtures.EmbeddingModel, "model.safetensors");
        Assert.Equal("model.safetensors", file.GetProperty("name").GetString());
        Assert.Equal(new FileInfo(weights).Length, file.GetProperty("bytes").GetInt64());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(weights))), file.GetProperty("sha256").GetString());

        var reranker = models.Single(m => m.GetProperty("id").GetString() == TestServer.RerankerName);
        Assert.Equal("rerank", reranker.GetProperty("kind").GetString());
        Assert.Equal(8192, reranker.GetProperty("max_model_len").GetInt32());
        Assert.Equal(Sift.Kernels.KernelPath.Current.Name, reranker.GetProperty("kernel_path").GetString());
        Assert.False(reranker.TryGetProperty("dimensions", out _));
        Assert.Equal(["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"],
            reranker.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("name").GetString()));
    }
}
