namespace Sift.Training;

/// <summary>
/// Picks hard negatives from the two-stage search: documents the embedding ranks high (so the
/// model confuses them with answers) that the reranker judges not to answer the query (so they
/// are unlikely to be unjudged positives) and that are not judged positive.
/// </summary>
/// <remarks>
/// A candidate is kept when its rerank score is below both <see cref="MaxScore"/> (the reranker
/// says "no") and <see cref="PositiveShare"/> × the positive's rerank score: NV-Retriever's
/// "positive-aware" filter (TopK-PercPos, 95%), which removes most false negatives, the main harm
/// hard negatives do to contrastive training.
/// </remarks>
public static class HardNegativeMiner
{
    /// <summary>A candidate the reranker gives P(yes) of at least this answers the query: not a negative.</summary>
    public const double MaxScore = 0.5;

    /// <summary>A candidate scoring at least this share of the positive's rerank score is probably an unjudged positive.</summary>
    public const double PositiveShare = 0.95;

    /// <summary>
    /// The first <paramref name="count"/> candidates, in vector order, that pass the filters.
    /// </summary>
    /// <param name="candidates">The vector stage's results, best first, each with its rerank score.</param>
    /// <param name="positives">Ids of documents judged relevant to the query (never negatives).</param>
    /// <param name="positiveScore">The rerank score of the positive the example is built around.</param>
    /// <param name="count">How many negatives to return at most.</param>
    public static IReadOnlyList<MiningCandidate> Select(IReadOnlyList<MiningCandidate> candidates, IReadOnlySet<string> positives, double positiveScore, int count)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(positives);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 0);
        var ceiling = Math.Min(MaxScore, PositiveShare * positiveScore);
        return candidates
            .Where(c => !positives.Contains(c.DocumentId) && c.RerankScore < ceiling)
            .DistinctBy(c => c.DocumentId)
            .Take(count)
            .ToArray();
    }
}
