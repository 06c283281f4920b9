using Sift.Engine;
using Sift.Server.Errors;
using Sift.Server.Hosting;

namespace Sift.Server.Routes;

/// <summary>The rerank path shared by the Cohere/Jina and TEI routes.</summary>
internal sealed class RerankService(ServerOptions options) : IRerankService
{
    public async Task<(RerankScore[] Scores, int Tokens)> RerankAsync(ServedReranker model, string query, IReadOnlyList<string> documents,
        string? instruction, bool truncate, string documentsField, HttpContext context)
    {
        Validate(documents, documentsField);
        var scores = await ComputeAsync(model, query, documents, null, instruction, truncate, documentsField, context);
        return (scores, scores.Sum(s => s.TokenCount));
    }

    /// <summary>The checks on the request as a whole: how many documents.</summary>
    public void Validate(IReadOnlyList<string> documents, string documentsField)
    {
        if (documents.Count == 0)
        {
            throw ApiException.BadRequest($"'{documentsField}' is empty; give at least one document", documentsField);
        }
        if (documents.Count > options.MaxClientBatchSize)
        {
            throw ApiException.BadRequest($"'{documentsField}' has {documents.Count} documents; the limit is {options.MaxClientBatchSize} (--max-client-batch-size)",
                documentsField, "too_many_inputs");
        }
    }

    /// <summary>Builds, schedules and scores the prompts of documents already validated as a request; scores come back in their order here.</summary>
    /// <param name="model">The reranker.</param>
    /// <param name="query">The query.</param>
    /// <param name="documents">The documents to score.</param>
    /// <param name="positions">Each document's position in the request, for error messages (null: their order here).</param>
    /// <param name="instruction">The task, or null for the default.</param>
    /// <param name="truncate">Cut long prompts (the official behaviour) instead of refusing them.</param>
    /// <param name="documentsField">The request field holding the documents, for error messages.</param>
    /// <param name="context">The request.</param>
    public async Task<RerankScore[]> ComputeAsync(ServedReranker model, string query, IReadOnlyList<string> documents, IReadOnlyList<int>? positions,
        string? instruction, bool truncate, string documentsField, HttpContext context)
    {
        var reranker = model.Reranker;
        var rerankOptions = new RerankOptions { Instruction = instruction };
        var prompts = new int[documents.Count][];
        for (var i = 0; i < documents.Count; i++)
        {
            if (truncate)
            {
                prompts[i] = reranker.BuildInput(query, documents[i], rerankOptions);
                continue;
            }
            var whole = reranker.BuildInput(query, documents[i], rerankOptions with { MaxLength = reranker.Model.Config.MaxPositionEmbeddings });
            if (whole.Length > reranker.MaxLength)
            {
                throw ApiException.BadRequest(
                    $"document {positions?[i] ?? i} makes a prompt of {whole.Length} tokens; the limit is {reranker.MaxLength} (ask for truncation to cut it)",
                    documentsField, "input_too_long");
            }
            prompts[i] = whole;
        }
        var result = await model.Scheduler.SubmitAsync(query, rerankOptions, prompts, context.RequestAborted);
        var scores = result.Vectors.Select((hidden, i) => reranker.ScoreHidden(i, hidden, prompts[i].Length)).ToArray();
        EmbeddingService.Record(context, documents.Count, prompts.Sum(p => p.Length), result);
        return scores;
    }
}
