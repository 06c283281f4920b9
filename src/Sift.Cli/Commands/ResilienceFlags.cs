using System.CommandLine;
using System.Globalization;
using Sift.Abstractions;
using Sift.Server.Alerts;
using Sift.Server.Caching;
using Sift.Server.Hosting;

namespace Sift.Cli.Commands;

/// <summary><c>sift serve</c>'s flags for the result cache and the low-confidence alerts.</summary>
internal sealed class ResilienceFlags
{
    private readonly Option<string> _cache;
    private readonly Option<int> _cacheSize;
    private readonly Option<string> _cacheMemory;
    private readonly Option<string> _cacheMaxEntry;
    private readonly Option<string> _cacheTtl;
    private readonly Option<double> _maxScore;
    private readonly Option<double> _minSpread;
    private readonly Option<int> _queueSize;
    private readonly Option<string?> _webhook;
    private readonly Option<bool> _logTexts;
    private readonly Option<string> _rerankTimeout;

    public ResilienceFlags(ServeCommand.Settings settings)
    {
        var cache = new CacheOptions();
        var alerts = new LowConfidenceOptions();
        _cache = settings.Option("--cache", "Result cache: \"memory\" (bounded, in process), \"redis://HOST:PORT[/DB]\" (shared by replicas) or \"none\".",
            "memory");
        _cacheSize = settings.Option("--cache-size", "Most entries in the in-process cache; least recently used go first.", cache.Size);
        _cacheMemory = settings.Option("--cache-memory",
            "Most memory the in-process cache takes (e.g. 256MB); under --max-memory, less when the budget is tight.", "256MB");
        _cacheMaxEntry = settings.Option("--cache-max-entry",
            "Largest result cached, serialized (e.g. 256KB): a larger search is answered but not cached (sift_cache_oversize_total).", "256KB");
        _cacheTtl = settings.Option("--cache-ttl", "How long a cached result lives (e.g. 1h, 30m, 90s).", "1h");
        _maxScore = settings.Option("--low-confidence-max-score",
            "A ranking is low-confidence when its best score is below this (0 turns the check off)...", alerts.Rule.MaxScoreBelow);
        _minSpread = settings.Option("--low-confidence-min-spread", "... and its scores spread (max - min) less than this.", alerts.Rule.SpreadBelow);
        _queueSize = settings.Option("--low-confidence-queue-size", "Flagged rankings kept for GET /v1/low-confidence (a Redis stream with a Redis cache).",
            alerts.QueueSize);
        _webhook = settings.Option<string?>("--alert-webhook", "POST each low-confidence alert as JSON to this URL (in the background, with retries).", null);
        _logTexts = settings.Option("--log-texts", "Put query texts in warnings and alerts (default: their hash only).", false);
        _rerankTimeout = settings.Option("--rerank-timeout",
            "How long a collection search waits for the reranker before answering in first-stage order (e.g. 500ms, 2s; \"none\": no limit). A request's rerank_timeout_ms overrides it.",
            "none");
    }

    public IEnumerable<Option> All => [_cache, _cacheSize, _cacheMemory, _cacheMaxEntry, _cacheTtl, _maxScore, _minSpread, _queueSize, _webhook, _logTexts, _rerankTimeout];

    /// <summary>The options with these flags' values, each checked (a bad value is a CLI error naming the flag).</summary>
    public ServerOptions Apply(ParseResult result, ServerOptions options)
    {
        try
        {
            var cache = CacheOptions.Parse(result.GetValue(_cache)!, result.GetValue(_cacheSize), ParseDuration(result.GetValue(_cacheTtl)!, "--cache-ttl"))
                .WithBytes(ServeCommand.ParseSize(result.GetValue(_cacheMemory)!, "--cache-memory"),
                    ServeCommand.ParseSize(result.GetValue(_cacheMaxEntry)!, "--cache-max-entry"));
            var rule = new LowConfidenceRule { MaxScoreBelow = result.GetValue(_maxScore), SpreadBelow = result.GetValue(_minSpread) };
            rule.Validate();
            var queueSize = result.GetValue(_queueSize);
            if (queueSize < 1)
            {
                throw new CliException($"--low-confidence-queue-size must be at least 1, got {queueSize}");
            }
            return options with
            {
                Cache = cache,
                LowConfidence = new LowConfidenceOptions { Rule = rule, QueueSize = queueSize, Webhook = ParseWebhook(result.GetValue(_webhook)) },
                LogTexts = result.GetValue(_logTexts),
                RerankTimeout = ParseRerankTimeout(result.GetValue(_rerankTimeout)!),
            };
        }
        catch (ArgumentException e)
        {
            // The message without .NET's " (Parameter ...)" suffix: the flag is already named in it.
            throw new CliException(e.Message.Split(" (Parameter", 2)[0]);
        }
    }

    /// <summary>Seconds from "90s", "30m", "1h", "250ms" or a plain number of seconds.</summary>
    internal static TimeSpan ParseDuration(string value, string flag)
    {
        var text = value.Trim().ToLowerInvariant();
        var (number, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], TimeSpan.FromMilliseconds(1))
            : text.EndsWith('s') ? (text[..^1], TimeSpan.FromSeconds(1))
            : text.EndsWith('m') ? (text[..^1], TimeSpan.FromMinutes(1))
            : text.EndsWith('h') ? (text[..^1], TimeSpan.FromHours(1))
            : (text, TimeSpan.FromSeconds(1));
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount > 0 && double.IsFinite(amount)
            ? unit * amount
            : throw new CliException($"{flag} must be a positive duration such as 1h, 30m, 90s or 250ms, got \"{value}\"");
    }

    private static TimeSpan? ParseRerankTimeout(string value)
    {
        if (value.Trim().Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var timeout = ParseDuration(value, "--rerank-timeout");
        return timeout >= TimeSpan.FromMilliseconds(1) && timeout <= Sift.Retrieval.SearchRequest.MaxRerankTimeout
            ? timeout
            : throw new CliException($"--rerank-timeout must be from 1ms to {Sift.Retrieval.SearchRequest.MaxRerankTimeout.TotalMinutes}m, got \"{value}\"");
    }

    private static Uri? ParseWebhook(string? value) =>
        value is null ? null
        : Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri
        : throw new CliException($"--alert-webhook must be an http:// or https:// URL, got \"{value}\"");
}
