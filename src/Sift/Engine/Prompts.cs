namespace Sift.Engine;

/// <summary>The prompt formats of Qwen3-Embedding and Qwen3-Reranker, exactly as the official code writes them.</summary>
public static class Prompts
{
    /// <summary>The task both models use when the caller gives none.</summary>
    public const string DefaultInstruction = "Given a web search query, retrieve relevant passages that answer the query";

    /// <summary>The reranker's system turn and the start of the user turn.</summary>
    public const string RerankPrefix =
        "<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and the Instruct provided. "
        + "Note that the answer can only be \"yes\" or \"no\".<|im_end|>\n<|im_start|>user\n";

    /// <summary>The end of the user turn and an empty thinking block, after which the model answers yes or no.</summary>
    public const string RerankSuffix = "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n";

    /// <summary>The reranker's answer tokens.</summary>
    public const string Yes = "yes";

    /// <summary>The reranker's answer tokens.</summary>
    public const string No = "no";

    /// <summary>An embedding query: <c>Instruct: {task}\nQuery:{query}</c> (no space after "Query:").</summary>
    public static string EmbeddingQuery(string query, string? instruction = null) =>
        $"Instruct: {instruction ?? DefaultInstruction}\nQuery:{query}";

    /// <summary>
    /// The part of the reranker's body that is the same for every document of one query, up to
    /// and including "&lt;Document&gt;:". The space after it starts the document's first piece, so the
    /// body's tokens are this part's tokens followed by the document's.
    /// </summary>
    public static string RerankSharedBody(string query, string? instruction = null) =>
        $"<Instruct>: {instruction ?? DefaultInstruction}\n<Query>: {query}\n<Document>:";

    /// <summary>The reranker's body: <c>&lt;Instruct&gt;: {instruction}\n&lt;Query&gt;: {query}\n&lt;Document&gt;: {document}</c>.</summary>
    public static string RerankBody(string query, string document, string? instruction = null) =>
        RerankSharedBody(query, instruction) + RerankDocumentPart(document);

    /// <summary>The rest of the reranker's body after <see cref="RerankSharedBody"/>: a space, then the document.</summary>
    public static string RerankDocumentPart(string document) => " " + document;
}
