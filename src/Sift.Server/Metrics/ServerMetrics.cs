using System.Diagnostics;
using Sift.Telemetry;

namespace Sift.Server.Metrics;

/// <summary>
/// What the server records, by name: each method records on the host's <see cref="SiftTelemetry"/>
/// instruments, which the OpenTelemetry Prometheus exporter serves at /metrics (and OTLP exports
/// when configured). Routes and schedulers call these; the instruments themselves live in
/// <see cref="SiftTelemetry"/> so the engine and the retrieval pipeline can record on them too.
/// </summary>
public sealed class ServerMetrics(SiftTelemetry telemetry)
{
    /// <summary>The instruments behind these methods.</summary>
    public SiftTelemetry Telemetry { get; } = telemetry;

    /// <summary>One finished HTTP request (sift_requests_total, sift_request_duration_seconds).</summary>
    public void RecordRequest(string route, int status, double seconds)
    {
        Telemetry.Requests.Add(1, new TagList { { "route", route }, { "status", status } });
        Telemetry.RequestDuration.Record(seconds, new KeyValuePair<string, object?>("route", route));
    }

    /// <summary>One forward computation (sift_batches_total, sift_batch_size, sift_batch_tokens, sift_tokens_processed_total).</summary>
    public void RecordBatch(string model, int sequences, int tokens)
    {
        var tag = ModelTag(model);
        Telemetry.Batches.Add(1, tag);
        Telemetry.BatchSize.Record(sequences, tag);
        Telemetry.BatchTokens.Record(tokens, tag);
        Telemetry.TokensProcessed.Add(tokens, tag);
    }

    /// <summary>Sequences entering (positive) or leaving (negative) a model's queue (sift_queue_depth).</summary>
    public void AddQueueDepth(string model, int change) => Telemetry.QueueDepth.Add(change, ModelTag(model));

    /// <summary>How long a request's sequences waited before their forward pass (sift_queue_duration_seconds).</summary>
    public void RecordQueueWait(string model, double seconds) => Telemetry.QueueDuration.Record(seconds, ModelTag(model));

    /// <summary>How long one scheduled computation took (sift_compute_duration_seconds).</summary>
    public void RecordCompute(string model, double seconds) => Telemetry.ComputeDuration.Record(seconds, ModelTag(model));

    /// <summary>A model's load time (sift_model_load_seconds).</summary>
    public void RecordModelLoad(string model, double seconds) => Telemetry.ModelLoad.Record(seconds, ModelTag(model));

    private static KeyValuePair<string, object?> ModelTag(string model) => new("model", model);
}
