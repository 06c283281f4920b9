using System.Text.Json;
using Sift.Tests.Server;

namespace Sift.Tests.Telemetry;

/// <summary>/metrics through the OpenTelemetry Prometheus exporter: Sift's series under their documented names, ASP.NET Core's and the runtime's.</summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task Metrics_CountWhatTheRequestsDid_AlongsideAspNetCoreAndRuntimeSeries()
    {
        await using var server = await TestServer.StartAsync();
        var before = await PrometheusText.ScrapeAsync(server.Http);
        var usage = 0;
        foreach (var input in new[] { new[] { "one two three" }, new[] { "four", "five six seven eight nine" } })
        {
            var response = await server.PostJsonAsync("/v1/embeddings", new { input });
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            usage += json.RootElement.GetProperty("usage").GetProperty("total_tokens").GetInt32();
        }
        Assert.True((await server.PostJsonAsync("/v1/rerank", new { query = "q", documents = new[] { "a", "b" } })).IsSuccessStatusCode);
        var after = await PrometheusText.ScrapeAsync(server.Http);

        const string embedding = "model=" + TestServer.EmbeddingName;
        Assert.Equal(usage, after.Sum("sift_tokens_processed_total", embedding) - before.Sum("sift_tokens_processed_total", embedding));
        Assert.Equal(2, after.Single("sift_requests_total", "route=POST /v1/embeddings", "status=200"));
        Assert.Equal(1, after.Single("sift_requests_total", "route=POST /v1/rerank", "status=200"));
        Assert.Equal(2, after.Single("sift_request_duration_seconds_count", "route=POST /v1/embeddings"));
        Assert.True(after.Sum("sift_batches_total", embedding) >= 1);
        Assert.Equal(after.Sum("sift_batches_total", embedding), after.Single("sift_batch_size_count", embedding));
        Assert.Equal(after.Sum("sift_batches_total", embedding), after.Single("sift_compute_duration_seconds_count", embedding));
        Assert.True(after.Single("sift_queue_duration_seconds_count", embedding) >= 2);
        Assert.Equal(1, after.Single("sift_batches_total", "model=" + TestServer.RerankerName));
        Assert.Equal(0, after.Single("sift_queue_depth", embedding));
        Assert.True(after.Single("sift_model_load_seconds", embedding) > 0);
        // Sift's own buckets (advice on the instruments), not the SDK's millisecond-sized defaults.
        Assert.Single(after.Values("sift_request_duration_seconds_bucket", "route=POST /v1/embeddings", "le=0.001"));
        Assert.Single(after.Values("sift_batch_tokens_bucket", embedding, "le=16384"));

        Assert.Equal("counter", after.TypeOf("sift_requests_total"));
        Assert.Equal("histogram", after.TypeOf("sift_batch_size"));
        Assert.Equal("gauge", after.TypeOf("sift_queue_depth"));
        // ASP.NET Core's own series, by route, and the runtime's.
        Assert.Equal(2, after.Single("http_server_request_duration_seconds_count", "http_route=/v1/embeddings", "http_response_status_code=200"));
        Assert.NotEmpty(after.Values("kestrel_active_connections"));
        Assert.NotEmpty(after.Values("dotnet_gc_collections_total"));
        Assert.True(after.Single("dotnet_process_memory_working_set_bytes") > 0);
    }

    [Fact]
    public async Task TwoServersInOneProcess_KeepTheirSeriesApart()
    {
        await using var first = await TestServer.StartAsync();
        await using var second = await TestServer.StartAsync();
        Assert.True((await first.PostJsonAsync("/v1/embeddings", new { input = "only on the first" })).IsSuccessStatusCode);

        var firstMetrics = await PrometheusText.ScrapeAsync(first.Http);
        var secondMetrics = await PrometheusText.ScrapeAsync(second.Http);
        Assert.Equal(1, firstMetrics.Single("sift_requests_total", "route=POST /v1/embeddings", "status=200"));
        Assert.Empty(secondMetrics.Values("sift_requests_total", "route=POST /v1/embeddings"));
        Assert.Empty(secondMetrics.Values("http_server_request_duration_seconds_count", "http_route=/v1/embeddings"));
    }

    [Fact]
    public async Task ASiftMeterMadeOutsideTheServer_NeitherShowsOnItsMetrics_NorEndsItsSeriesWhenDisposed()
    {
        await using var server = await TestServer.StartAsync();
        Assert.True((await server.PostJsonAsync("/v1/embeddings", new { input = "counted by the server" })).IsSuccessStatusCode);
        const string embedding = "model=" + TestServer.EmbeddingName;
        var before = await PrometheusText.ScrapeAsync(server.Http);
        var tokens = before.Sum("sift_tokens_processed_total", embedding);
        Assert.True(tokens > 0);

        // An application's own telemetry for the engine (no meter factory): same meter and instrument names.
        using (var outside = new Sift.Telemetry.SiftTelemetry())
        {
            new Sift.Server.Metrics.ServerMetrics(outside).RecordBatch(TestServer.EmbeddingName, sequences: 1, tokens: 1000);
            var during = await PrometheusText.ScrapeAsync(server.Http);
            Assert.Equal(tokens, during.Sum("sift_tokens_processed_total", embedding));
        }

        var after = await PrometheusText.ScrapeAsync(server.Http);
        Assert.Equal(tokens, after.Sum("sift_tokens_processed_total", embedding));
        Assert.True(after.Single("sift_model_load_seconds", embedding) > 0);
    }
}
