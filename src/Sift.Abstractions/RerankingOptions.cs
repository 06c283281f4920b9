namespace Sift.Abstractions;

/// <summary>Options of one rerank call.</summary>
public sealed record RerankingOptions
{
    /// <summary>Return only the best N documents.</summary>
    public int? TopN { get; init; }

    /// <summary>The task the query serves; null means the model's default (web search).</summary>
    public string? Instruction { get; init; }

    /// <summary>The model to use; null means the server's one reranker.</summary>
    public string? ModelId { get; init; }

    /// <summary>Include each document's text in its result.</summary>
    public bool ReturnDocuments { get; init; }
}
