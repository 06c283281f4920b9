using System.Net;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace Sift.Client;

/// <summary>Builds the Polly pipeline of <see cref="SiftResilienceOptions"/>: retries outside, the circuit breaker inside them.</summary>
internal static class SiftResiliencePipeline
{
    public static ResiliencePipeline<HttpResponseMessage> Build(SiftResilienceOptions? options)
    {
        if (options is null)
        {
            return ResiliencePipeline<HttpResponseMessage>.Empty;
        }
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxRetries, nameof(options.MaxRetries));
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = options.TimeProvider };
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxRetries,
                Delay = options.BaseDelay,
                MaxDelay = options.MaxDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = arguments => ValueTask.FromResult(IsTransient(arguments.Outcome, arguments.Context.CancellationToken)),
                DelayGenerator = arguments => ValueTask.FromResult(RetryAfter(arguments.Outcome.Result, options.MaxRetryAfter)),
            });
        }
        if (options.CircuitBreaker is { } breaker)
        {
            builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
            {
                FailureRatio = breaker.FailureRatio,
                MinimumThroughput = breaker.MinimumThroughput,
                SamplingDuration = breaker.SamplingDuration,
                BreakDuration = breaker.BreakDuration,
                ShouldHandle = arguments => ValueTask.FromResult(IsTransient(arguments.Outcome, arguments.Context.CancellationToken)),
            });
        }
        return builder.Build();
    }

    /// <summary>
    /// Failures worth another try: the network, a timeout (not the caller's own cancellation),
    /// and statuses that mean "not now" (408, 429, 5xx). A 4xx about the request never is.
    /// </summary>
    public static bool IsTransient(Outcome<HttpResponseMessage> outcome, CancellationToken callerToken) => outcome switch
    {
        { Exception: HttpRequestException or TimeoutException } => true,
        { Exception: OperationCanceledException } => !callerToken.IsCancellationRequested,
        { Result: { } response } => response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500,
        _ => false,
    };

    /// <summary>The wait a 429 or 503 asks for (seconds or a date), at most <paramref name="cap"/>; null leaves the backoff as computed.</summary>
    private static TimeSpan? RetryAfter(HttpResponseMessage? response, TimeSpan cap)
    {
        if (response is not { StatusCode: HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable } || response.Headers.RetryAfter is not { } retryAfter)
        {
            return null;
        }
        var wait = retryAfter.Delta ?? (retryAfter.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        return wait is { } delay ? TimeSpan.FromTicks(Math.Clamp(delay.Ticks, 0, cap.Ticks)) : null;
    }

    /// <summary>What an open circuit looks like to a caller: the same exception as any failed call.</summary>
    public static SiftApiException CircuitOpen(BrokenCircuitException exception) =>
        new(503, $"the circuit breaker is open after repeated failures; calls resume in {exception.RetryAfter?.TotalSeconds ?? 0:F1} s", "circuit_open", exception);
}
