namespace Sift.Retrieval.Lexical;

/// <summary>
/// Reciprocal rank fusion (Cormack, Clarke and Büttcher, SIGIR 2009): an item's fused score is the
/// sum over the rankings that contain it of 1 / (k + rank), rank counted from 1. It needs no score
/// calibration between cosine similarity and BM25, which live on unrelated scales.
/// </summary>
public static class ReciprocalRankFusion
{
    /// <summary>The paper's constant, used by Elasticsearch, OpenSearch and Vespa as their default: it damps the weight of the very first ranks.</summary>
    public const int DefaultK = 60;

    /// <summary>
    /// Fuses a vector ranking and a lexical ranking of the same kind of items (best first, keys
    /// unique within each), best fused score first; ties go to the better single rank, then to the
    /// vector ranking's order.
    /// </summary>
    public static IReadOnlyList<FusedItem<TKey>> Fuse<TKey>(IReadOnlyList<TKey> vector, IReadOnlyList<TKey> lexical, int k = DefaultK)
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(vector);
        ArgumentNullException.ThrowIfNull(lexical);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 0);
        var items = new Dictionary<TKey, (int? Vector, int? Lexical)>();
        for (var i = 0; i < vector.Count; i++)
        {
            items.TryAdd(vector[i], (i + 1, null));
        }
        for (var i = 0; i < lexical.Count; i++)
        {
            var current = items.TryGetValue(lexical[i], out var found) ? found : (null, null);
            if (current.Lexical is null)
            {
                items[lexical[i]] = (current.Vector, i + 1);
            }
        }
        return items
            .Select(p => new FusedItem<TKey>(p.Key, Score(p.Value.Vector, k) + Score(p.Value.Lexical, k), p.Value.Vector, p.Value.Lexical))
            .OrderByDescending(f => f.Score)
            .ThenBy(f => Math.Min(f.VectorRank ?? int.MaxValue, f.LexicalRank ?? int.MaxValue))
            .ThenBy(f => f.VectorRank ?? int.MaxValue)
            .ToArray();
    }

    private static double Score(int? rank, int k) => rank is { } r ? 1.0 / (k + r) : 0;
}
