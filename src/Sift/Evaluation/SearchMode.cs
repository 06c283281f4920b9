namespace Sift.Evaluation;

/// <summary>One way of searching that <c>sift eval</c> measures.</summary>
/// <param name="Name">"dense", "hybrid", "dense+rerank" or "hybrid+rerank".</param>
/// <param name="Hybrid">Whether keyword recall is fused with the vector stage.</param>
/// <param name="Rerank">Whether the reranker orders the candidates.</param>
public sealed record SearchMode(string Name, bool Hybrid, bool Rerank)
{
    /// <summary>The four modes, the reranked ones only when a reranker is there.</summary>
    public static IReadOnlyList<SearchMode> All(bool withReranker) =>
    [
        new("dense", false, false),
        new("hybrid", true, false),
        .. withReranker ? new SearchMode[] { new("dense+rerank", false, true), new("hybrid+rerank", true, true) } : [],
    ];
}
