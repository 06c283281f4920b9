using Sift.Evaluation;

namespace Sift.Tests.Evaluation;

/// <summary>Expected values are written out from the definitions (trec_eval's), not taken from the code under test.</summary>
public sealed class RetrievalMetricsTests
{
    private static readonly Dictionary<string, int> Graded = new() { ["d1"] = 2, ["d2"] = 1, ["d3"] = 0, ["d4"] = 1 };
    private static readonly string[] Ranking = ["d3", "d1", "d5", "d2"];

    [Fact]
    public void Ndcg_GradedGainsLog2DiscountIdealFromJudgments()
    {
        // DCG: d3 (0) at 1, d1 (2) at 2, d5 (unjudged) at 3, d2 (1) at 4. Ideal: grades 2, 1, 1 at ranks 1-3.
        var dcg = 2 / Math.Log2(3) + 1 / Math.Log2(5);
        var ideal = 2 / Math.Log2(2) + 1 / Math.Log2(3) + 1 / Math.Log2(4);
        Assert.Equal(dcg / ideal, RetrievalMetrics.Ndcg(Ranking, Graded, 10), 12);
        // Cut at 2: only d1 counts; the ideal keeps its best two.
        Assert.Equal(2 / Math.Log2(3) / (2 + 1 / Math.Log2(3)), RetrievalMetrics.Ndcg(Ranking, Graded, 2), 12);
        Assert.Equal(0, RetrievalMetrics.Ndcg(Ranking, Graded, 1));
    }

    [Fact]
    public void Ndcg_IdealRankingScoresOne_AndGainIsTheGradeNotTwoToTheGrade()
    {
        Assert.Equal(1.0, RetrievalMetrics.Ndcg(["d1", "d2", "d4"], Graded, 10), 12);
        // Swapping the grade-2 and a grade-1 document: with linear gains DCG = 1 + 2/log2(3) + 1/2.
        var swapped = (1 + 2 / Math.Log2(3) + 0.5) / (2 + 1 / Math.Log2(3) + 0.5);
        Assert.Equal(swapped, RetrievalMetrics.Ndcg(["d2", "d1", "d4"], Graded, 10), 12);
    }

    [Fact]
    public void ReciprocalRank_FirstRelevantWithinTheCutoff()
    {
        Assert.Equal(0.5, RetrievalMetrics.ReciprocalRank(Ranking, Graded, 10));
        Assert.Equal(0, RetrievalMetrics.ReciprocalRank(Ranking, Graded, 1));
        Assert.Equal(1, RetrievalMetrics.ReciprocalRank(["d4"], Graded, 10));
    }

    [Fact]
    public void Recall_ShareOfRelevantDocumentsFound()
    {
        Assert.Equal(2.0 / 3, RetrievalMetrics.Recall(Ranking, Graded, 100), 12);
        Assert.Equal(1.0 / 3, RetrievalMetrics.Recall(Ranking, Graded, 2), 12);
    }

    [Fact]
    public void Measures_QueryWithoutRelevantDocuments_AreZero()
    {
        var none = new Dictionary<string, int> { ["d1"] = 0, ["d2"] = -1 };
        Assert.Equal(0, RetrievalMetrics.Ndcg(["d1", "d2"], none, 10));
        Assert.Equal(0, RetrievalMetrics.ReciprocalRank(["d1", "d2"], none, 10));
        Assert.Equal(0, RetrievalMetrics.Recall(["d1", "d2"], none, 100));
    }

    [Fact]
    public void Measures_EmptyRanking_AreZero()
    {
        Assert.Equal(0, RetrievalMetrics.Ndcg([], Graded, 10));
        Assert.Equal(0, RetrievalMetrics.ReciprocalRank([], Graded, 10));
        Assert.Equal(0, RetrievalMetrics.Recall([], Graded, 100));
    }

    [Fact]
    public void RankByScore_TiesGoToTheLargerDocumentIdAsInTrecEval()
    {
        Assert.Equal(["c", "b", "a", "d"], RetrievalMetrics.RankByScore([("a", 1.0), ("b", 1.0), ("c", 2.0), ("d", 0.5)]));
    }

    [Fact]
    public void Summary_AveragesOverJudgedQueries_AndAMissingRankingCountsZero()
    {
        var judgments = new Dictionary<string, IReadOnlyDictionary<string, int>>
        {
            ["q1"] = new Dictionary<string, int> { ["a"] = 1 },
            ["q2"] = new Dictionary<string, int> { ["b"] = 1 },
        };
        var rankings = new Dictionary<string, IReadOnlyList<string>> { ["q1"] = ["x", "a"], ["q3"] = ["b"] };

        var summary = MetricSummary.Compute(judgments, rankings);

        Assert.Equal(2, summary.Queries);
        Assert.Equal(1 / Math.Log2(3) / 2, summary.Ndcg10, 12);
        Assert.Equal(0.25, summary.Mrr10, 12);
        Assert.Equal(0.5, summary.Recall100, 12);
    }
}
