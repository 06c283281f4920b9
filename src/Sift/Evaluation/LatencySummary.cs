namespace Sift.Evaluation;

/// <summary>Per-query latency of one search mode, in milliseconds.</summary>
/// <param name="P50">Median.</param>
/// <param name="P95">95th percentile (nearest rank).</param>
/// <param name="Mean">Mean.</param>
/// <param name="Total">Sum over all queries.</param>
public sealed record LatencySummary(double P50, double P95, double Mean, double Total)
{
    /// <summary>Summarises samples in milliseconds.</summary>
    public static LatencySummary FromMilliseconds(IReadOnlyCollection<double> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count == 0)
        {
            throw new ArgumentException("no latency samples", nameof(samples));
        }
        var sorted = samples.Order().ToArray();
        return new LatencySummary(NearestRank(sorted, 0.50), NearestRank(sorted, 0.95), sorted.Average(), sorted.Sum());
    }

    private static double NearestRank(double[] sorted, double quantile) => sorted[Math.Max(0, (int)Math.Ceiling(quantile * sorted.Length) - 1)];
}
