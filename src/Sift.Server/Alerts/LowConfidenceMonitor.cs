using System.Security.Cryptography;
using System.Text;
using Sift.Abstractions;
using Sift.Server.Hosting;
using Sift.Server.Metrics;

namespace Sift.Server.Alerts;

/// <summary>
/// Checks each ranking's scores against the low-confidence rule. A flagged ranking is logged as a
/// structured warning (the query's hash; its text only with --log-texts), counted in
/// sift_low_confidence_total, kept in the analysis queue, and posted to the webhook if there is one.
/// A ranking answered from the cache is only counted: it was reported when it was computed, and a
/// hot low-confidence query repeated from the cache would otherwise fill the queue with copies of
/// itself (evicting every other entry), flood the webhook, and pay a queue write per hit.
/// Nothing here fails or holds up the request beyond the queue's own bounded write.
/// </summary>
internal sealed partial class LowConfidenceMonitor(ServerOptions options, ServerMetrics metrics, ILowConfidenceStore store, ILogger<LowConfidenceMonitor> logger,
    AlertWebhook? webhook = null)
{
    /// <summary>Results kept per flagged ranking: the ones a user would have seen.</summary>
    public const int KeptResults = 10;

    /// <summary>Characters kept of each kept result's text: enough to see what it was about.</summary>
    public const int KeptTextLength = 1000;

    /// <summary>
    /// Characters kept of the query (a search query may be 32k tokens, a rerank query up to the
    /// payload limit): with <see cref="KeptTextLength"/> and <see cref="KeptScores"/>, an entry stays
    /// under ~40 KB of text, so a queue of 1000 (the default) stays ~40 MB whatever clients send.
    /// </summary>
    public const int KeptQueryLength = 2000;

    /// <summary>Scores kept per entry (a rerank may have thousands; the statistics cover all of them).</summary>
    public const int KeptScores = 100;

    /// <summary>Hex digits of the query's SHA-256 in logs and alerts: enough to tell queries apart and find them again.</summary>
    private const int QueryHashLength = 16;

    /// <summary>
    /// Checks one ranking; when it is low-confidence, reports it and returns the kept entry.
    /// </summary>
    /// <param name="model">The reranker's name.</param>
    /// <param name="collection">The collection searched; null for a plain rerank request.</param>
    /// <param name="query">The query.</param>
    /// <param name="scores">Every score of the ranking.</param>
    /// <param name="top">The best results, best first (only read when the ranking is flagged).</param>
    /// <param name="cached">Whether the ranking was answered from the cache: then a flag is counted, not logged, kept or posted again.</param>
    /// <param name="cancellationToken">The request's cancellation.</param>
    public async Task<LowConfidenceEntry?> CheckAsync(string model, string? collection, string query, IReadOnlyList<double> scores,
        Func<IEnumerable<RankedItem>> top, bool cached, CancellationToken cancellationToken)
    {
        var statistics = ScoreStatistics.Of(scores);
        if (!options.LowConfidence.Rule.IsLowConfidence(statistics))
        {
            return null;
        }
        if (cached)
        {
            metrics.RecordLowConfidence(model, collection ?? "");
            return null;
        }
        var queryHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(query)))[..QueryHashLength];
        if (options.LogTexts)
        {
            LogLowConfidenceWithQuery(logger, model, collection ?? "", queryHash, statistics.Count, statistics.Max, statistics.Min, statistics.Spread,
                statistics.StandardDeviation, query);
        }
        else
        {
            LogLowConfidence(logger, model, collection ?? "", queryHash, statistics.Count, statistics.Max, statistics.Min, statistics.Spread,
                statistics.StandardDeviation);
        }
        metrics.RecordLowConfidence(model, collection ?? "");
        var kept = top().Take(KeptResults).Select(item => item with { Text = Shorten(item.Text, KeptTextLength) }).ToArray();
        var entry = new LowConfidenceEntry("", DateTimeOffset.UtcNow, model, collection, Shorten(query, KeptQueryLength)!, queryHash, statistics,
            scores.Take(KeptScores).ToArray(), kept, query.Length);
        LowConfidenceEntry stored;
        try
        {
            stored = await store.AppendAsync(entry, cancellationToken) ?? entry;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // An alert never fails the answer it is about (nor, in a shared search, every request waiting for it).
            LogAppendFailed(logger, e);
            stored = entry;
        }
        webhook?.Post(stored, options.LogTexts);
        return stored;
    }

    /// <summary>The first <paramref name="length"/> characters, one fewer rather than half a surrogate pair.</summary>
    private static string? Shorten(string? text, int length) =>
        text is not null && text.Length > length ? text[..(char.IsHighSurrogate(text[length - 1]) ? length - 1 : length)] : text;

    [LoggerMessage(EventId = 73, Level = LogLevel.Warning, Message = "could not keep a low-confidence entry for analysis; it is logged and posted only")]
    private static partial void LogAppendFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 70, Level = LogLevel.Warning,
        Message = "low-confidence ranking: model={Model} collection={Collection} query_hash={QueryHash} results={Count} max={Max:F4} min={Min:F4} spread={Spread:F4} std={Std:F4}")]
    private static partial void LogLowConfidence(ILogger logger, string model, string collection, string queryHash, int count, double max, double min,
        double spread, double std);

    [LoggerMessage(EventId = 71, Level = LogLevel.Warning,
        Message = "low-confidence ranking: model={Model} collection={Collection} query_hash={QueryHash} results={Count} max={Max:F4} min={Min:F4} spread={Spread:F4} std={Std:F4} query={Query}")]
    private static partial void LogLowConfidenceWithQuery(ILogger logger, string model, string collection, string queryHash, int count, double max, double min,
        double spread, double std, string query);
}
