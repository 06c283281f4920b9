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
}
