using Microsoft.Extensions.Logging.Abstractions;
using Sift.Server.Errors;
using Sift.Server.Hosting;
using Sift.Server.Metrics;

namespace Sift.Tests.Server;

public sealed class ModelRegistryTests
{
    [Fact]
    public void StopDuringLoad_TheModelLoadedAfterwardsIsNeverServedAndIsFreed()
    {
        // SIGTERM while loading: the host disposes the registry, then the load finishes.
        using var telemetry = new Sift.Telemetry.SiftTelemetry();
        var registry = new ModelRegistry(new ServerOptions { Model = Fixtures.EmbeddingModel }, new ServerMetrics(telemetry), NullLogger<ModelRegistry>.Instance);
        registry.Dispose();

        registry.Load();

        Assert.False(registry.IsReady);
        Assert.True(registry.Loaded.IsCanceled);
        Assert.Empty(registry.ServedNames);
        var error = Assert.Throws<ApiException>(() => registry.GetEmbedder(null));
        Assert.Equal(503, error.Status);
    }

    [Fact]
    public void GgufModelKind_IsResolvedOnceAtStart_NotReadAgainPerSearch()
    {
        // A GGUF --model says it is a reranker in its metadata: telling that meant opening and parsing the
        // file (its 151k-token vocabulary) twice per search, and a file replaced or removed later flipped the kinds.
        var directory = Directory.CreateTempSubdirectory("sift-kinds-");
        try
        {
            var gguf = Path.Combine(directory.FullName, "model.gguf");
            Checkpoints.GgufConversionTests.RunGgufWritePy(Fixtures.RerankerModel, gguf, "f32", "reranker");
            using var telemetry = new Sift.Telemetry.SiftTelemetry();
            using var registry = new ModelRegistry(new ServerOptions { Model = gguf }, new ServerMetrics(telemetry), NullLogger<ModelRegistry>.Instance);
            Assert.True(registry.HasReranker);

            File.Delete(gguf);

            Assert.True(registry.HasReranker);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
