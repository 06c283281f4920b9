using System.Net.Http.Json;
using Sift.Tests.Server;

namespace Sift.Tests.Telemetry;

/// <summary>Traces from a real `sift serve` to a loopback OTLP/HTTP collector, configured only by the standard OTEL_* variables.</summary>
public sealed class TracingTests
{
    [Fact]
    public async Task OtlpEndpointSet_RequestQueueComputeAndForwardSpansReachTheCollector_UnderTheCallersTrace()
    {
        await using var collector = await OtlpReceiver.StartAsync();
        var environment = new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Address.ToString().TrimEnd('/'),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_SERVICE_NAME"] = "sift-under-test",
        };
        await using var sift = SiftProcess.Start(["serve", "--model", Fixtures.EmbeddingModel, "--reranker", Fixtures.RerankerModel, "--port", "0"], environment);
        using var http = await sift.WaitReadyAsync();

        const string embedTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
        const string rerankTrace = "0af7651916cd43dd8448eb211c80319c";
        const string callerSpan = "00f067aa0ba902b7";
        using (var embed = new HttpRequestMessage(HttpMethod.Post, "/v1/embeddings") { Content = JsonContent.Create(new { input = new[] { "one", "two" } }) })
        {
            embed.Headers.Add("traceparent", $"00-{embedTrace}-{callerSpan}-01");
            Assert.True((await http.SendAsync(embed, TestContext.Current.CancellationToken)).IsSuccessStatusCode);
        }
        using (var rerank = new HttpRequestMessage(HttpMethod.Post, "/v1/rerank")
        {
            Content = JsonContent.Create(new { query = "capital of China?", documents = new[] { "Beijing.", "Paris.", "Gravity." } }),
        })
        {
            rerank.Headers.Add("traceparent", $"00-{rerankTrace}-{callerSpan}-01");
            Assert.True((await http.SendAsync(rerank, TestContext.Current.CancellationToken)).IsSuccessStatusCode);
        }
        // Shutdown flushes the exporter: every span ended before SIGTERM is sent by then.
        Assert.Equal(0, await sift.TerminateAsync());

        var spans = collector.Spans;
        var embedSpans = spans.Where(s => s.TraceId == embedTrace).ToArray();
        var request = Assert.Single(embedSpans, s => s.Name == "POST /v1/embeddings");
        Assert.Equal(callerSpan, request.ParentSpanId);
        Assert.Equal("sift-under-test", request.Resource["service.name"]);
        var queue = Assert.Single(embedSpans, s => s.Name == "sift.queue");
        var compute = Assert.Single(embedSpans, s => s.Name == "sift.compute");
        var forward = Assert.Single(embedSpans, s => s.Name == "sift.forward");
        Assert.Equal(request.SpanId, queue.ParentSpanId);
        Assert.Equal(request.SpanId, compute.ParentSpanId);
        Assert.Equal(compute.SpanId, forward.ParentSpanId);
        Assert.Equal("Sift", forward.Scope);
        Assert.Equal("2", forward.Attributes["sift.batch.sequences"]);
        Assert.Equal(TestServer.EmbeddingName, compute.Attributes["sift.model"]);

        var rerankSpans = spans.Where(s => s.TraceId == rerankTrace).ToArray();
        var rerankRequest = Assert.Single(rerankSpans, s => s.Name == "POST /v1/rerank");
        var rerankCompute = Assert.Single(rerankSpans, s => s.Name == "sift.compute");
        Assert.Equal(rerankRequest.SpanId, rerankCompute.ParentSpanId);
        Assert.Equal(rerankCompute.SpanId, Assert.Single(rerankSpans, s => s.Name == "sift.prefix").ParentSpanId);
        var rerankForward = Assert.Single(rerankSpans, s => s.Name == "sift.forward");
        Assert.Equal(rerankCompute.SpanId, rerankForward.ParentSpanId);
        Assert.Equal("3", rerankForward.Attributes["sift.batch.sequences"]);

        // Probes and scrapes are not traced.
        Assert.DoesNotContain(spans, s => s.Name.Contains("/ready", StringComparison.Ordinal));
    }
}
