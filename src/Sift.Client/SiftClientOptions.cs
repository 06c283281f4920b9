namespace Sift.Client;

/// <summary>Where a Sift server is and how to reach it.</summary>
public sealed record SiftClientOptions
{
    /// <summary>The server's base address, e.g. http://127.0.0.1:8080.</summary>
    public required Uri Endpoint { get; init; }

    /// <summary>The server's --api-key, if it has one.</summary>
    public string? ApiKey { get; init; }

    /// <summary>An HttpClient to use (its lifetime stays the caller's); null creates one.</summary>
    public HttpClient? HttpClient { get; init; }

    /// <summary>Retries and the circuit breaker around every call; null turns both off.</summary>
    public SiftResilienceOptions? Resilience { get; init; } = new();
}
