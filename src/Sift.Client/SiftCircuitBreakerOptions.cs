namespace Sift.Client;

/// <summary>
/// When the SDK stops calling a failing server: once at least <see cref="MinimumThroughput"/>
/// calls within <see cref="SamplingDuration"/> failed in a share of at least <see cref="FailureRatio"/>,
/// calls fail at once (a <see cref="SiftApiException"/> with code "circuit_open") for
/// <see cref="BreakDuration"/>; then one call tries the server and closes the circuit if it succeeds.
/// The defaults are those of .NET's standard HTTP resilience handler.
/// </summary>
public sealed record SiftCircuitBreakerOptions
{
    /// <summary>The share of failed calls that opens the circuit.</summary>
    public double FailureRatio { get; init; } = 0.1;

    /// <summary>Calls needed in the sampling window before the ratio counts.</summary>
    public int MinimumThroughput { get; init; } = 100;

    /// <summary>The window over which calls are counted.</summary>
    public TimeSpan SamplingDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the circuit stays open (at least half a second).</summary>
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(5);
}
