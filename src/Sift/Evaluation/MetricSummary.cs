namespace Sift.Evaluation;

/// <summary>The means over the judged queries of the three measures <c>sift eval</c> reports.</summary>
/// <param name="Ndcg10">Mean nDCG@10.</param>
/// <param name="Mrr10">Mean MRR@10.</param>
/// <param name="Recall100">Mean Recall@100.</param>
/// <param name="Queries">How many queries the means are over.</param>
public sealed record MetricSummary(double Ndcg10, double Mrr10, double Recall100, int Queries)
{
    /// <summary>nDCG and MRR cut off at 10, as BEIR and MTEB report them.</summary>
    public const int RankCutoff = 10;

    /// <summary>Recall cut off at 100: the candidates a reranker sees in the two-stage pipeline.</summary>
    public const int RecallCutoff = 100;

    /// <summary>
    /// Measures every judged query's ranking and averages. A judged query with no ranking counts as
    /// zero on every measure (trec_eval's -c), so a system cannot score well by answering less.
    /// </summary>
    public static MetricSummary Compute(IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> judgments,
        IReadOnlyDictionary<string, IReadOnlyList<string>> rankings)
    {
        ArgumentNullException.ThrowIfNull(judgments);
        ArgumentNullException.ThrowIfNull(rankings);
        if (judgments.Count == 0)
        {
            throw new ArgumentException("no judged queries to average over", nameof(judgments));
        }
        double ndcg = 0, mrr = 0, recall = 0;
        foreach (var (query, grades) in judgments)
        {
            var ranking = rankings.TryGetValue(query, out var found) ? found : [];
            ndcg += RetrievalMetrics.Ndcg(ranking, grades, RankCutoff);
            mrr += RetrievalMetrics.ReciprocalRank(ranking, grades, RankCutoff);
            recall += RetrievalMetrics.Recall(ranking, grades, RecallCutoff);
        }
        var count = judgments.Count;
        return new MetricSummary(ndcg / count, mrr / count, recall / count, count);
    }
}
