using Sift.Abstractions;

namespace Sift.Client;

/// <summary>A rerank answer the low-confidence rule flagged: likely a first stage that found nothing relevant.</summary>
/// <param name="Query">The query.</param>
/// <param name="Statistics">The statistics of the returned scores.</param>
/// <param name="Results">The answer, best first.</param>
public sealed record LowConfidenceAlert(string Query, ScoreStatistics Statistics, IReadOnlyList<RerankResult> Results);
