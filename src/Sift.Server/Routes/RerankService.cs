using Sift.Engine;
using Sift.Server.Errors;
using Sift.Server.Hosting;

namespace Sift.Server.Routes;

/// <summary>The rerank path shared by the Cohere/Jina and TEI routes.</summary>
internal sealed class RerankService(ServerOptions options)
{
    /// <summary>Scores in document order.</summary>
    /// <param name="model">The reranker.</param>
    /// <param name="query">The query.</param>
    /// <param name="documents">The documents.</param>
    /// <param name="instruction">The task, or null for the default.</param>
    /// <param name="truncate">Cut long prompts (the official behaviour) instead of refusing them.</param>
    /// <param name="documentsField">The request field holding the documents, for error messages.</param>
    /// <param name="context">The request.</param>
    public async Task<(RerankScore[] Scores, int Tokens)> RerankAsync(ServedReranker model, string query, IReadOnlyList<string> documents,
        string? instruction, bool truncate, string documentsField, HttpContext context)
    {
        if (documents.Count == 0)
        {
            throw ApiException.BadRequest($"'{documentsField}' is empty; give at least one document", documentsField);
        }
        RequestLimits.CheckBatchSize(documents.Count, options, documentsField, "documents");
        var reranker = model.Reranker;
        var rerankOptions = new RerankOptions { Instruction = instruction };
        var prompts = reranker.BuildInputs(query, documents,
            truncate ? rerankOptions : rerankOptions with { MaxLength = reranker.Model.Config.MaxPositionEmbeddings });
        for (var i = 0; i < prompts.Length && !truncate; i++)
        {
            if (prompts[i].Length > reranker.MaxLength)
            {
                throw ApiException.BadRequest(
                    $"document {i} makes a prompt of {prompts[i].Length} tokens; the limit is {reranker.MaxLength} (ask for truncation to cut it)",
                    documentsField, "input_too_long");
            }
        }
        var sequences = reranker.Sequences(query, rerankOptions, prompts);
        var result = await model.Scheduler.SubmitAsync(sequences, context.RequestAborted);
        NonFiniteOutputException.ThrowIfAny(model.Name, result.Vectors, i => reranker.Model.ExplainNonFinite(prompts[i]));
        var scores = result.Vectors.Select((hidden, i) => reranker.ScoreHidden(i, hidden, prompts[i].Length)).ToArray();
        // Usage counts what the model reads for the request: the shared query prefix once, then each document's own tokens.
        var tokens = (int)BatchPlanner.BatchTokens(sequences);
        EmbeddingService.Record(context, documents.Count, tokens, result);
        return (scores, tokens);
    }
}
