namespace Sift.Abstractions;

/// <summary>One document's relevance.</summary>
/// <param name="Index">The document's position in the request.</param>
/// <param name="RelevanceScore">The probability that the document meets the query, in [0, 1]; for a fallback result, a cosine similarity in [-1, 1].</param>
/// <param name="Document">The document's text, when asked for.</param>
public sealed record RerankResult(int Index, double RelevanceScore, string? Document = null)
{
    /// <summary>True when the reranker could not be reached and the result was ranked by embedding similarity instead.</summary>
    public bool IsFallback { get; init; }

    /// <summary>In chunk mode with <see cref="RerankingOptions.ReturnWindows"/>: the window whose score this is.</summary>
    public DocumentWindow? Window { get; init; }
}
