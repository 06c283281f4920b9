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

    /// <summary>Cache lookups of one request: <paramref name="kind"/> is what was looked up ("embedding", "rerank", ...) (sift_cache_requests_total).</summary>
    public void RecordCacheLookups(string kind, int hits, int misses)
    {
        if (hits > 0)
        {
            Telemetry.CacheRequests.Add(hits, new TagList { { "kind", kind }, { "result", "hit" } });
        }
        if (misses > 0)
        {
            Telemetry.CacheRequests.Add(misses, new TagList { { "kind", kind }, { "result", "miss" } });
        }
    }

    /// <summary>A cache call that failed and fell back to computing: "read" or "write", and why (sift_cache_errors_total).</summary>
    public void RecordCacheError(string operation, string kind) =>
        Telemetry.CacheErrors.Add(1, new TagList { { "operation", operation }, { "kind", kind } });

    /// <summary>Where the in-process cache's entry count and bytes are read from (sift_cache_entries, sift_cache_bytes).</summary>
    public void ObserveCache(Func<long> entries, Func<long> bytes)
    {
        Telemetry.CacheEntries = entries;
        Telemetry.CacheBytes = bytes;
    }

    /// <summary>
    /// A miss answered by a concurrent identical request's computation, not its own (sift_cache_shared_total): of a
    /// kind's misses, this many computed nothing.
    /// </summary>
    public void RecordCacheShared(string kind) => Telemetry.CacheShared.Add(1, new KeyValuePair<string, object?>("kind", kind));

    /// <summary>A result answered but not cached: larger than --cache-max-entry (sift_cache_oversize_total).</summary>
    public void RecordCacheOversize(string kind) => Telemetry.CacheOversize.Add(1, new KeyValuePair<string, object?>("kind", kind));

    /// <summary>A ranking the low-confidence rule flagged; <paramref name="collection"/> is empty for a plain rerank request (sift_low_confidence_total).</summary>
    public void RecordLowConfidence(string model, string collection) =>
        Telemetry.LowConfidence.Add(1, new TagList { { "model", model }, { "collection", collection } });

    /// <summary>A collection search that answered in first-stage order, and why (sift_search_fallback_total).</summary>
    public void RecordSearchFallback(string collection, string reason) =>
        Telemetry.SearchFallback.Add(1, new TagList { { "collection", collection }, { "reason", reason } });

    /// <summary>An alert webhook delivery: "sent", "failed" or "dropped" (sift_alert_webhook_total).</summary>
    public void RecordAlertWebhook(string result) => Telemetry.AlertWebhook.Add(1, new KeyValuePair<string, object?>("result", result));

    private static KeyValuePair<string, object?> ModelTag(string model) => new("model", model);
}
