using Sift.Abstractions;

namespace Sift.Tests.Abstractions;

public sealed class LowConfidenceRuleTests
{
    [Fact]
    public void Statistics_OfThreeScores_AreTheTextbookValues()
    {
        var statistics = ScoreStatistics.Of([0.1, 0.2, 0.3]);

        Assert.Equal(3, statistics.Count);
        Assert.Equal(0.3, statistics.Max, 12);
        Assert.Equal(0.1, statistics.Min, 12);
        Assert.Equal(0.2, statistics.Mean, 12);
        Assert.Equal(0.2, statistics.Spread, 12);
        Assert.Equal(Math.Sqrt(0.02 / 3), statistics.StandardDeviation, 12);
    }

    [Fact]
    public void Statistics_OfEqualScores_HaveZeroDeviation()
    {
        var statistics = ScoreStatistics.Of([0.7, 0.7, 0.7, 0.7]);
        Assert.Equal(0, statistics.StandardDeviation);
        Assert.Equal(0, statistics.Spread);
    }

    [Theory]
    [InlineData(true, 0.30, 0.35)]
    [InlineData(true, 0.05)]
    [InlineData(false, 0.30, 0.45)]
    [InlineData(false, 0.05, 0.38)]
    [InlineData(false, 0.35, 0.40)]
    [InlineData(false)]
    public void DefaultRule_FlagsLowAndFlatRankingsOnly(bool expected, params double[] scores) =>
        Assert.Equal(expected, LowConfidenceRule.Default.IsLowConfidence(ScoreStatistics.Of(scores)));

    [Fact]
    public void Rule_WithOtherThresholds_UsesThem()
    {
        var rule = new LowConfidenceRule { MaxScoreBelow = 0.9, SpreadBelow = 0.5 };
        Assert.True(rule.IsLowConfidence(ScoreStatistics.Of([0.5, 0.8])));
        Assert.False(rule.IsLowConfidence(ScoreStatistics.Of([0.2, 0.8])));
    }

    [Theory]
    [InlineData(1.5, 0.1)]
    [InlineData(-0.1, 0.1)]
    [InlineData(double.NaN, 0.1)]
    [InlineData(0.4, 2)]
    public void Validate_ThresholdOutsideTheScoreRange_Throws(double maxScore, double spread)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new LowConfidenceRule { MaxScoreBelow = maxScore, SpreadBelow = spread }.Validate());
        Assert.Contains("[0, 1]", error.Message);
    }
}
