using Sift.Abstractions;

namespace Sift.Server.Alerts;

/// <summary>A flagged ranking kept for analysis: what was asked, what came back, how sure the model was.</summary>
/// <param name="Id">The queue's id for it (time-ordered).</param>
/// <param name="Time">When it was ranked.</param>
/// <param name="Model">The reranker.</param>
/// <param name="Collection">The collection searched; null for a plain rerank request.</param>
/// <param name="Query">The query.</param>
/// <param name="QueryHash">The query's hash, as logged.</param>
/// <param name="Statistics">The scores' statistics.</param>
/// <param name="Scores">Every score, in the request's document order (rerank) or rank order (search).</param>
/// <param name="Top">The best results, best first, with the start of their text.</param>
public sealed record LowConfidenceEntry(string Id, DateTimeOffset Time, string Model, string? Collection, string Query, string QueryHash,
    ScoreStatistics Statistics, IReadOnlyList<double> Scores, IReadOnlyList<RankedItem> Top);
