namespace Sift.Server.Alerts;

/// <summary>One result of a flagged ranking, as kept for analysis: a document's position (rerank) or id (search), its score, and its text's start.</summary>
/// <param name="Index">The document's position in a rerank request.</param>
/// <param name="Id">The document's id in a collection.</param>
/// <param name="Score">Its score.</param>
/// <param name="Text">The start of its text.</param>
public sealed record RankedItem(int? Index, string? Id, double Score, string? Text);
