namespace Sift.Retrieval;

/// <summary>
/// The reranker as the search pipeline sees it: a query and passages in, one relevance score per
/// passage (in passage order) out. The engine (in process) and the server's rerank scheduler
/// implement it; a cache or a deadline wraps it as a decorator.
/// </summary>
public interface IPassageReranker
{
    /// <summary>The model's name.</summary>
    string ModelName { get; }

    /// <summary>
    /// P(yes) for each (query, passage) pair, in passage order: exactly what /v1/rerank gives for the
    /// same texts and instruction (long pairs are cut as it cuts them).
    /// </summary>
    Task<PassageScores> ScoreAsync(string query, IReadOnlyList<string> passages, string? instruction, CancellationToken cancellationToken);
}
