namespace Sift.Retrieval.Lexical;

/// <summary>An item after reciprocal rank fusion, with where each ranking had it.</summary>
/// <param name="Key">The item.</param>
/// <param name="Score">Σ 1 / (k + rank) over the rankings that found it.</param>
/// <param name="VectorRank">Its rank (from 1) in the vector ranking, or null.</param>
/// <param name="LexicalRank">Its rank (from 1) in the lexical ranking, or null.</param>
public sealed record FusedItem<TKey>(TKey Key, double Score, int? VectorRank, int? LexicalRank)
{
    /// <summary>Which stage found it: "vector", "lexical" or "both".</summary>
    public string Stage => (VectorRank, LexicalRank) switch
    {
        (not null, not null) => "both",
        (not null, null) => "vector",
        _ => "lexical",
    };
}
