namespace Sift.Retrieval;

/// <summary>Relevance scores of passages, in passage order, and the tokens the reranker read.</summary>
/// <param name="Scores">P(yes) per passage, in [0, 1].</param>
/// <param name="TokenCount">Tokens of all prompts, template included.</param>
public sealed record PassageScores(float[] Scores, int TokenCount);
