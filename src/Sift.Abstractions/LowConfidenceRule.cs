namespace Sift.Abstractions;

/// <summary>
/// When a ranking is too unsure to trust: every score low and all of them close together, which
/// usually means the first stage found nothing relevant. The defaults are the deployment guides'
/// rule: max − min &lt; 0.1 and max &lt; 0.4 (scores are reranker probabilities in [0, 1]).
/// </summary>
public sealed record LowConfidenceRule
{
    /// <summary>The rule with its default thresholds.</summary>
    public static LowConfidenceRule Default { get; } = new();

    /// <summary>A ranking is low-confidence only if its best score is below this.</summary>
    public double MaxScoreBelow { get; init; } = 0.4;

    /// <summary>... and its spread (max − min) is below this.</summary>
    public double SpreadBelow { get; init; } = 0.1;

    /// <summary>Whether <paramref name="statistics"/> are low-confidence (an empty ranking never is).</summary>
    public bool IsLowConfidence(ScoreStatistics statistics) =>
        statistics.Count > 0 && statistics.Max < MaxScoreBelow && statistics.Spread < SpreadBelow;

    /// <summary>Throws unless both thresholds lie in [0, 1], the range of reranker scores.</summary>
    public void Validate()
    {
        if (double.IsNaN(MaxScoreBelow) || MaxScoreBelow is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxScoreBelow), MaxScoreBelow, "the low-confidence max-score threshold must be in [0, 1]");
        }
        if (double.IsNaN(SpreadBelow) || SpreadBelow is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(SpreadBelow), SpreadBelow, "the low-confidence spread threshold must be in [0, 1]");
        }
    }
}
