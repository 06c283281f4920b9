using System.Net.Http.Json;
using System.Threading.Channels;
using Polly;
using Polly.Retry;
using Sift.Abstractions;
using Sift.Server.Metrics;

namespace Sift.Server.Alerts;

/// <summary>
/// Posts low-confidence alerts to --alert-webhook from a background worker. A request only drops
/// the alert into a bounded queue (never waiting); when the queue is full the new alert is dropped
/// and counted. Each POST is retried with jittered exponential backoff on network errors, 5xx and 429.
/// </summary>
internal sealed partial class AlertWebhook : BackgroundService
{
    /// <summary>A webhook that does not answer within this is retried.</summary>
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Three retries from half a second (0.5, 1, 2 s, jittered): rides out a restart of the receiver, gives up within seconds.</summary>
    private const int Retries = 3;

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(500);

    private readonly Channel<WebhookAlert> _queue;
    private readonly Uri _target;
    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };
    private readonly ResiliencePipeline<HttpResponseMessage> _retries;
    private readonly ServerMetrics _metrics;
    private readonly ILogger<AlertWebhook> _logger;

    public AlertWebhook(LowConfidenceOptions options, ServerMetrics metrics, ILogger<AlertWebhook> logger)
    {
        _target = options.Webhook ?? throw new ArgumentException("no --alert-webhook configured", nameof(options));
        _metrics = metrics;
        _logger = logger;
        _queue = Channel.CreateBounded<WebhookAlert>(new BoundedChannelOptions(options.WebhookQueueSize)
        {
            FullMode = BoundedChannelFullMode.DropWrite,
            SingleReader = true,
        }, _ => metrics.RecordAlertWebhook("dropped"));
        _retries = new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = Retries,
                Delay = FirstRetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<Polly.Timeout.TimeoutRejectedException>()
                    .HandleResult(response => (int)response.StatusCode >= 500 || (int)response.StatusCode == 429),
            })
            .AddTimeout(AttemptTimeout)
            .Build();
    }

    /// <summary>Queues an alert for posting; returns at once, whether or not there was room.</summary>
    public void Post(LowConfidenceEntry entry, bool includeQuery) =>
        _queue.Writer.TryWrite(new WebhookAlert("sift.low_confidence", entry.Id, entry.Time, entry.Model, entry.Collection, entry.QueryHash,
            includeQuery ? entry.Query : null, entry.Statistics));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var alert in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                using var response = await _retries.ExecuteAsync(
                    async token => await _http.PostAsJsonAsync(_target, alert, AlertJson.Options, token), stoppingToken);
                response.EnsureSuccessStatusCode();
                _metrics.RecordAlertWebhook("sent");
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _metrics.RecordAlertWebhook("failed");
                LogFailed(_logger, _target, Retries, e.Message);
            }
        }
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 72, Level = LogLevel.Warning, Message = "could not post a low-confidence alert to {Webhook} after {Retries} retries: {Reason}")]
    private static partial void LogFailed(ILogger logger, Uri webhook, int retries, string reason);

    /// <summary>The webhook's body: the alert without the results; the query only with --log-texts.</summary>
    private sealed record WebhookAlert(string Event, string Id, DateTimeOffset Time, string Model, string? Collection, string QueryHash, string? Query,
        ScoreStatistics Statistics);
}
