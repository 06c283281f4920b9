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
        return (scores, Usage(model, query, instruction, truncate, scores));
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
    /// query was cut and nothing is shared).
    /// </summary>
    public static int Usage(ServedReranker model, string query, string? instruction, bool truncate, IReadOnlyCollection<RerankScore> scores)
    {
        var shared = model.Reranker.SharedPrefixLength(query, PromptOptions(model, instruction, truncate));
        return shared + scores.Sum(s => s.TokenCount - shared);
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
        var rerankOptions = PromptOptions(model, instruction, truncate);
        var prompts = reranker.BuildInputs(query, documents, rerankOptions);
        for (var i = 0; i < prompts.Length && !truncate; i++)
        {
            if (prompts[i].Length > reranker.MaxLength)
            {
                throw ApiException.BadRequest(
                    $"document {positions?[i] ?? i} makes a prompt of {prompts[i].Length} tokens; the limit is {reranker.MaxLength} (ask for truncation to cut it)",
                    documentsField, "input_too_long");
            }
        }
        var sequences = reranker.Sequences(query, rerankOptions, prompts);
        var result = await model.Scheduler.SubmitAsync(sequences, context.RequestAborted);
        NonFiniteOutputException.ThrowIfAny(model.Name, result.Vectors, i => reranker.Model.ExplainNonFinite(prompts[i]));
        var scores = result.Vectors.Select((hidden, i) => reranker.ScoreHidden(i, hidden, prompts[i].Length)).ToArray();
        EmbeddingService.Record(context, documents.Count, (int)BatchPlanner.BatchTokens(sequences), result);
        return scores;
    }

    /// <summary>Without truncation the prompts are built whole (up to the model's positions), then checked against the limit.</summary>
    private static RerankOptions PromptOptions(ServedReranker model, string? instruction, bool truncate) =>
        truncate
            ? new RerankOptions { Instruction = instruction }
            : new RerankOptions { Instruction = instruction, MaxLength = model.Reranker.Model.Config.MaxPositionEmbeddings };
}
