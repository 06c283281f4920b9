using Sift.Engine;
using Sift.Server.Hosting;

namespace Sift.Server.Routes;

/// <summary>What the rerank routes call: one query and its documents in, each document's score out.</summary>
internal interface IRerankService
{
    /// <summary>Scores in document order, and the tokens the prompts took.</summary>
    /// <param name="model">The reranker.</param>
    /// <param name="query">The query.</param>
    /// <param name="documents">The documents.</param>
    /// <param name="instruction">The task, or null for the default.</param>
    /// <param name="policy">What to do with documents too long for the prompt: cut them (the official behaviour), refuse them, or read them in windows.</param>
    /// <param name="documentsField">The request field holding the documents, for error messages.</param>
    /// <param name="context">The request.</param>
    Task<(RerankScore[] Scores, int Tokens)> RerankAsync(ServedReranker model, string query, IReadOnlyList<string> documents,
        string? instruction, LongDocumentPolicy policy, string documentsField, HttpContext context);
}
