namespace Sift.Evaluation;

/// <summary>
/// The standard retrieval measures, defined as trec_eval (and so pytrec_eval and BEIR) defines them:
/// graded gains (the judgment's grade, not 2^grade − 1), a log2(rank + 1) discount, the ideal DCG
/// from the query's own judgments, and "relevant" meaning a grade of at least 1. A ranking is a
/// list of document ids, best first; see <see cref="RankByScore"/> for trec_eval's order of ties.
/// </summary>
public static class RetrievalMetrics
{
    /// <summary>nDCG@k: DCG of the first k results over the DCG of the best possible k.</summary>
    public static double Ndcg(IReadOnlyList<string> ranking, IReadOnlyDictionary<string, int> judgments, int k)
    {
        ArgumentNullException.ThrowIfNull(ranking);
        ArgumentNullException.ThrowIfNull(judgments);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var dcg = 0.0;
        for (var i = 0; i < Math.Min(k, ranking.Count); i++)
        {
            dcg += Gain(judgments, ranking[i]) / Math.Log2(i + 2);
        }
        var ideal = judgments.Values.Where(g => g > 0).OrderByDescending(g => g).Take(k).Select((g, i) => g / Math.Log2(i + 2)).Sum();
        return ideal > 0 ? dcg / ideal : 0;
    }

    /// <summary>Reciprocal rank of the first relevant result within the first k; 0 when none is.</summary>
    public static double ReciprocalRank(IReadOnlyList<string> ranking, IReadOnlyDictionary<string, int> judgments, int k)
    {
        ArgumentNullException.ThrowIfNull(ranking);
        ArgumentNullException.ThrowIfNull(judgments);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        for (var i = 0; i < Math.Min(k, ranking.Count); i++)
        {
            if (Gain(judgments, ranking[i]) > 0)
            {
                return 1.0 / (i + 1);
            }
        }
        return 0;
    }

    /// <summary>Recall@k: the share of the query's relevant documents found in the first k; 0 when it has none.</summary>
    public static double Recall(IReadOnlyList<string> ranking, IReadOnlyDictionary<string, int> judgments, int k)
    {
        ArgumentNullException.ThrowIfNull(ranking);
        ArgumentNullException.ThrowIfNull(judgments);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var relevant = judgments.Count(j => j.Value > 0);
        if (relevant == 0)
        {
            return 0;
        }
        var found = ranking.Take(k).Distinct(StringComparer.Ordinal).Count(id => Gain(judgments, id) > 0);
        return (double)found / relevant;
    }

    /// <summary>
    /// Orders scored documents as trec_eval does before measuring: score descending, ties by
    /// document id descending (ordinal), so numbers match pytrec_eval on the same run.
    /// </summary>
    public static IReadOnlyList<string> RankByScore(IEnumerable<(string Id, double Score)> scored)
    {
        ArgumentNullException.ThrowIfNull(scored);
        return scored.OrderByDescending(s => s.Score).ThenByDescending(s => s.Id, StringComparer.Ordinal).Select(s => s.Id).ToArray();
    }

    private static int Gain(IReadOnlyDictionary<string, int> judgments, string id) => judgments.TryGetValue(id, out var grade) && grade > 0 ? grade : 0;
}
