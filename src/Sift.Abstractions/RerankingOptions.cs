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

    /// <summary>What to do with a document too long for the prompt; null: the reranker's default (truncate, unless its server says otherwise).</summary>
    public LongDocumentStrategy? LongDocuments { get; init; }

    /// <summary>In chunk mode, the tokens consecutive windows share; null: the reranker's default (1280).</summary>
    public int? WindowOverlap { get; init; }

    /// <summary>In chunk mode, say in each result which window gave its score (<see cref="RerankResult.Window"/>).</summary>
    public bool ReturnWindows { get; init; }
}
