using Sift.Engine;
using Sift.Abstractions;
using Sift.Engine.LongDocuments;
using Sift.Server.Errors;
using Sift.Server.Hosting;

namespace Sift.Server.Routes;

/// <summary>The rerank path shared by the Cohere/Jina and TEI routes.</summary>
internal sealed class RerankService(ServerOptions options) : IRerankService
{
    public async Task<(RerankScore[] Scores, int Tokens)> RerankAsync(ServedReranker model, string query, IReadOnlyList<string> documents,
        string? instruction, LongDocumentPolicy policy, string documentsField, HttpContext context)
    {
        Validate(documents, documentsField);
        var scores = await ComputeAsync(model, query, documents, null, instruction, policy, documentsField, context);
        return (scores, Usage(model, query, instruction, policy, scores));
    }

    /// <summary>The checks on the request as a whole: how many documents.</summary>
    public void Validate(IReadOnlyList<string> documents, string documentsField)
    {
        if (documents.Count == 0)
        {
            throw ApiException.BadRequest($"'{documentsField}' is empty; give at least one document", documentsField);
        }
        RequestLimits.CheckBatchSize(documents.Count, options, documentsField, "documents");
    }

    /// <summary>
    /// Rerank usage counts what the model reads for a request: the prompts' shared part (template,
    /// instruction, query) once, then each document's own tokens (each prompt whole when the
    /// query was cut and nothing is shared; every window's own tokens for a document read in windows).
    /// </summary>
    public static int Usage(ServedReranker model, string query, string? instruction, LongDocumentPolicy policy, IReadOnlyCollection<RerankScore> scores)
    {
        var shared = model.Reranker.SharedPrefixLength(query, PromptOptions(instruction, policy));
        return shared + scores.Sum(s => s.TokenCount - shared);
    }

    /// <summary>Builds, schedules and scores the prompts of documents already validated as a request; scores come back in their order here.</summary>
    /// <param name="model">The reranker.</param>
    /// <param name="query">The query.</param>
    /// <param name="documents">The documents to score.</param>
    /// <param name="positions">Each document's position in the request, for error messages (null: their order here).</param>
    /// <param name="instruction">The task, or null for the default.</param>
    /// <param name="policy">Cut long prompts (the official behaviour), refuse them, or read the documents in windows.</param>
    /// <param name="documentsField">The request field holding the documents, for error messages.</param>
    /// <param name="context">The request.</param>
    public async Task<RerankScore[]> ComputeAsync(ServedReranker model, string query, IReadOnlyList<string> documents, IReadOnlyList<int>? positions,
        string? instruction, LongDocumentPolicy policy, string documentsField, HttpContext context)
    {
        var reranker = model.Reranker;
        var rerankOptions = PromptOptions(instruction, policy);
        RerankBatch batch;
        try
        {
            batch = reranker.Prepare(query, documents, positions, rerankOptions);
        }
        catch (SiftRequestException e) when (e.Param is "input" or "documents" && e.Param != documentsField)
        {
            // The engine names its own parameter; the client sent this route's ("documents", "texts" or "passages").
            throw new SiftRequestException(e.Message, documentsField, e.Code);
        }
        // A document's windows are ordinary sequences sharing the query's prefix: the token budget bounds each pass.
        var result = await model.Scheduler.SubmitAsync(batch.Sequences, context.RequestAborted);
        NonFiniteOutputException.ThrowIfAny(model.Name, result.Vectors, i => reranker.Model.ExplainNonFinite(batch.Prompt(i)));
        var scores = batch.Scores(result.Vectors);
        EmbeddingService.Record(context, documents.Count, (int)BatchPlanner.BatchTokens(batch.Sequences), result);
        return scores;
    }

    /// <summary>Truncation cuts documents to the limit, chunk mode windows them within it, and error refuses those over it.</summary>
    private static RerankOptions PromptOptions(string? instruction, LongDocumentPolicy policy) => new()
    {
        Instruction = instruction,
        Truncate = policy.Strategy == LongDocumentStrategy.Truncate,
        Windows = policy.ChunkWindows,
    };
}
