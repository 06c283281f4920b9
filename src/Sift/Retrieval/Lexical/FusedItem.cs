namespace Sift.Retrieval.Lexical;

/// <summary>An item after reciprocal rank fusion, with where each ranking had it.</summary>
/// <param name="Key">The item.</param>
/// <param name="Score">Σ 1 / (k + rank) over the rankings that found it.</param>
/// <param name="VectorRank">Its rank (from 1) in the vector ranking, or null.</param>
/// <param name="LexicalRank">Its rank (from 1) in the lexical ranking, or null.</param>
public sealed record FusedItem<TKey>(TKey Key, double Score, int? VectorRank, int? LexicalRank)
{
    /// <summary>Which stage found it: <see cref="RecallStage.Vector"/>, <see cref="RecallStage.Lexical"/> or <see cref="RecallStage.Both"/>.</summary>
    public string Stage => (VectorRank, LexicalRank) switch
    {
        (not null, not null) => RecallStage.Both,
        (not null, null) => RecallStage.Vector,
        _ => RecallStage.Lexical,
    };
}
