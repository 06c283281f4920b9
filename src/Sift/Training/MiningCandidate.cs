namespace Sift.Training;

/// <summary>A document the vector stage returned for a query, with the reranker's verdict on it.</summary>
/// <param name="DocumentId">The document.</param>
/// <param name="Text">The text the negative will carry (the chunk the reranker read).</param>
/// <param name="RerankScore">P(yes) from the reranker.</param>
public sealed record MiningCandidate(string DocumentId, string Text, double RerankScore);
