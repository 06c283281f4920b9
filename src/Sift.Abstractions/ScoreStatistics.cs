namespace Sift.Abstractions;

/// <summary>The spread of one ranking's scores: what the low-confidence rule reads.</summary>
/// <param name="Count">How many scores.</param>
/// <param name="Max">The highest score.</param>
/// <param name="Min">The lowest score.</param>
/// <param name="Mean">The mean score.</param>
/// <param name="StandardDeviation">The population standard deviation of the scores.</param>
public readonly record struct ScoreStatistics(int Count, double Max, double Min, double Mean, double StandardDeviation)
{
    /// <summary>Max − min: how far the best result stands from the worst.</summary>
    public double Spread => Max - Min;

    /// <summary>Statistics of <paramref name="scores"/> (all zero for none).</summary>
    public static ScoreStatistics Of(IEnumerable<double> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        var count = 0;
        double max = double.NegativeInfinity, min = double.PositiveInfinity, sum = 0, sumOfSquares = 0;
        foreach (var score in scores)
        {
            count++;
            max = Math.Max(max, score);
            min = Math.Min(min, score);
            sum += score;
            sumOfSquares += score * score;
        }
        if (count == 0)
        {
            return default;
        }
        var mean = sum / count;
        // Clamped: rounding can leave a tiny negative variance when every score is equal.
        var variance = Math.Max(0, sumOfSquares / count - mean * mean);
        return new ScoreStatistics(count, max, min, mean, Math.Sqrt(variance));
    }
}
