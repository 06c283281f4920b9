using Sift.Abstractions;

namespace Sift.Server.Alerts;

/// <summary>The low-confidence check after every ranking: its thresholds, the analysis queue, the webhook.</summary>
public sealed record LowConfidenceOptions
{
    /// <summary>When a ranking counts as low-confidence (--low-confidence-max-score, --low-confidence-min-spread).</summary>
    public LowConfidenceRule Rule { get; init; } = LowConfidenceRule.Default;

    /// <summary>Flagged rankings kept for analysis, newest first (--low-confidence-queue-size): in the Redis stream with a Redis cache, else in the data store. Older ones are dropped.</summary>
    public int QueueSize { get; init; } = 1000;

    /// <summary>Where each alert is POSTed as JSON (--alert-webhook); null posts nothing.</summary>
    public Uri? Webhook { get; init; }

    /// <summary>Alerts waiting for the webhook; past this, new alerts are dropped (and counted) rather than held.</summary>
    public int WebhookQueueSize { get; init; } = 256;
}
