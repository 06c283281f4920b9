namespace Sift.Client;

/// <summary>
/// How the SDK rides out a server that is busy or briefly gone: retries with jittered exponential
/// backoff on network errors, 408, 429 and 5xx (waiting as long as a 429's or 503's Retry-After
/// says), and a circuit breaker that stops calling a server that keeps failing.
/// </summary>
public sealed record SiftResilienceOptions
{
    /// <summary>Retries after the first attempt (0 turns retries off).</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>The first retry's delay; each next one doubles, with jitter.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest backoff between two attempts.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest a server's Retry-After is honoured; a longer one is cut to this.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The circuit breaker; null turns it off.</summary>
    public SiftCircuitBreakerOptions? CircuitBreaker { get; init; } = new();

    /// <summary>The clock of backoffs and of the breaker (a fake one in tests).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
