using Sift.Abstractions;

namespace Sift.Server.Alerts;

/// <summary>A flagged ranking kept for analysis: what was asked, what came back, how sure the model was.</summary>
/// <param name="Id">The queue's id for it (time-ordered).</param>
/// <param name="Time">When it was ranked.</param>
/// <param name="Model">The reranker.</param>
/// <param name="Collection">The collection searched; null for a plain rerank request.</param>
/// <param name="Query">The query, its first <see cref="LowConfidenceMonitor.KeptQueryLength"/> characters when longer.</param>
/// <param name="QueryHash">The whole query's hash, as logged.</param>
/// <param name="Statistics">The scores' statistics (of every score; its count says how many there were).</param>
/// <param name="Scores">The scores, in the request's document order (rerank) or rank order (search): the first <see cref="LowConfidenceMonitor.KeptScores"/>.</param>
/// <param name="Top">The best results, best first, with the start of their text.</param>
/// <param name="QueryLength">The whole query's length in characters (0 in entries kept before it was recorded).</param>
public sealed record LowConfidenceEntry(string Id, DateTimeOffset Time, string Model, string? Collection, string Query, string QueryHash,
    ScoreStatistics Statistics, IReadOnlyList<double> Scores, IReadOnlyList<RankedItem> Top, int QueryLength);
