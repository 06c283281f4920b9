using System.Text.Json;
using Sift.Engine;
using Sift.Abstractions;
using Sift.Engine.LongDocuments;
using Sift.Server.Errors;
using Sift.Server.Hosting;

namespace Sift.Server.Routes;

/// <summary>
/// Rerank routes: Cohere/Jina shape at /v1/rerank, /v2/rerank and /rerank; TEI shape at /rerank.
/// /rerank tells them apart by the body: TEI sends "texts", Cohere and Jina send "documents".
/// </summary>
internal static class RerankRoutes
{
    public static void Map(WebApplication app)
    {
        app.MapPost("/v1/rerank", CohereAsync).WithName("rerank_v1")
            .WithSummary("Cohere/Jina rerank: query, documents (strings or {text}; \"passages\" as SGLang names them), top_n, return_documents; "
                + "extensions: instruction, long_document_strategy (truncate, chunk, error), window_overlap, return_windows.")
            .Accepts<CohereRerankRequest>("application/json").Produces<CohereRerankResponse>();
        app.MapPost("/v2/rerank", CohereAsync).WithName("rerank_v2")
            .WithSummary("Cohere v2 rerank, same shape as /v1/rerank.")
            .Accepts<CohereRerankRequest>("application/json").Produces<CohereRerankResponse>();
        app.MapPost("/rerank", RerankAsync).WithName("rerank")
            .WithSummary("TEI rerank when the body has \"texts\" ({query, texts, return_text, raw_scores, truncate, long_document_strategy, window_overlap, return_windows} "
                + "→ [{index, score, text?}]); Cohere shape when it has \"documents\".")
            .Accepts<TeiRerankRequest>("application/json").Produces<TeiRank[]>();
    }

    private static async Task RerankAsync(HttpContext context, ModelRegistry registry, IRerankService service, ServerOptions options)
    {
        using var body = await JsonBody.ReadAsync(context.Request, context.RequestAborted);
        if (body.Root.TryGetProperty("texts", out _))
        {
            await TeiAsync(context, body, registry, service, options);
        }
        else
        {
            await AnswerCohereAsync(context, body, registry, service, options);
        }
    }

    private static async Task CohereAsync(HttpContext context, ModelRegistry registry, IRerankService service, ServerOptions options)
    {
        using var body = await JsonBody.ReadAsync(context.Request, context.RequestAborted);
        await AnswerCohereAsync(context, body, registry, service, options);
    }

    private static async Task AnswerCohereAsync(HttpContext context, JsonBody body, ModelRegistry registry, IRerankService service, ServerOptions options)
    {
        var model = registry.GetReranker(body.OptionalString("model"));
        var query = NonEmptyQuery(body);
        // SGLang and the deployment guides that follow it send "passages" for Cohere's "documents".
        var hasDocuments = body.TryGet("documents", out _);
        var hasPassages = body.TryGet("passages", out _);
        if (hasDocuments && hasPassages)
        {
            throw ApiException.BadRequest("give either 'documents' or 'passages' (its SGLang name), not both", "passages");
        }
        var field = hasPassages ? "passages" : "documents";
        var documents = ReadDocuments(body.Required(field), field);
        var topN = body.OptionalInt("top_n");
        if (topN is < 1)
        {
            throw ApiException.BadRequest($"'top_n' must be at least 1, got {topN}", "top_n");
        }
        var returnDocuments = body.OptionalBool("return_documents") ?? false;
        var policy = LongDocumentPolicy.Read(body, options, LongDocumentStrategy.Truncate);
        var (scores, tokens) = await service.RerankAsync(model, query, documents, body.OptionalString("instruction"), policy, field, context);

        await using var json = JsonResponse.Start(context);
        json.WriteStartObject();
        json.WriteString("id", Guid.NewGuid().ToString());
        json.WriteString("model", model.Name);
        json.WriteStartArray("results");
        foreach (var score in Reranker.Rank(scores).Take(topN ?? int.MaxValue))
        {
            json.WriteStartObject();
            json.WriteNumber("index", score.Index);
            json.WriteNumber("relevance_score", score.Score);
            WriteWindow(json, score, policy);
            if (returnDocuments)
            {
                json.WriteStartObject("document");
                json.WriteString("text", documents[score.Index]);
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartObject("usage");
        json.WriteNumber("total_tokens", tokens);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>TEI's rerank: {query, texts, ...} → [{index, score, text?}], most relevant first.</summary>
    internal static async Task TeiAsync(HttpContext context, JsonBody body, ModelRegistry registry, IRerankService service, ServerOptions options)
    {
        var model = registry.GetReranker(body.OptionalString("model"));
        var query = NonEmptyQuery(body);
        var texts = ReadDocuments(body.Required("texts"), "texts");
        var returnText = body.OptionalBool("return_text") ?? false;
        var rawScores = body.OptionalBool("raw_scores") ?? false;
        var truncate = body.OptionalBool("truncate") ?? false;
        var direction = body.OptionalString("truncation_direction") ?? "Right";
        if (direction != "Right")
        {
            throw ApiException.BadRequest($"'truncation_direction' must be \"Right\" for the reranker (its template must stay whole), got \"{direction}\"",
                "truncation_direction");
        }
        var policy = LongDocumentPolicy.Read(body, options, truncate ? LongDocumentStrategy.Truncate : LongDocumentStrategy.Error);
        var (scores, _) = await service.RerankAsync(model, query, texts, body.OptionalString("instruction"), policy, "texts", context);

        await using var json = JsonResponse.Start(context);
        json.WriteStartArray();
        foreach (var score in Reranker.Rank(scores))
        {
            json.WriteStartObject();
            json.WriteNumber("index", score.Index);
            // TEI's raw score is the classifier's logit: here logit_yes - logit_no, whose sigmoid is the score.
            json.WriteNumber("score", rawScores ? score.LogitYes - score.LogitNo : score.Score);
            WriteWindow(json, score, policy);
            if (returnText)
            {
                json.WriteString("text", texts[score.Index]);
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    /// <summary>With return_windows in chunk mode: which window gave the score, its document-token span [start, end), and how many windows the document took.</summary>
    private static void WriteWindow(System.Text.Json.Utf8JsonWriter json, RerankScore score, LongDocumentPolicy policy)
    {
        if (policy.ReturnWindows && score.Window is { } window)
        {
            json.WriteNumber("window", window.Index);
            json.WriteStartObject("window_span");
            json.WriteNumber("start", window.Start);
            json.WriteNumber("end", window.End);
            json.WriteEndObject();
            json.WriteNumber("windows", window.Count);
        }
    }

    private static string NonEmptyQuery(JsonBody body)
    {
        var query = body.RequiredString("query");
        return query.Length > 0 ? query : throw ApiException.BadRequest("'query' is an empty string", "query");
    }

    /// <summary>Documents as strings or as {"text": ...} objects (Cohere v1 and Jina accept both).</summary>
    private static List<string> ReadDocuments(JsonElement value, string field)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw ApiException.BadRequest($"'{field}' must be an array, got {JsonBody.Describe(value)}", field);
        }
        var documents = new List<string>();
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            documents.Add(item.ValueKind switch
            {
                JsonValueKind.String => JsonBody.AsString(item, field),
                JsonValueKind.Object when item.TryGetProperty("text", out var text) => JsonBody.AsString(text, $"{field}[{index}].text"),
                _ => throw ApiException.BadRequest($"{field}[{index}] must be a string or an object with \"text\", got {JsonBody.Describe(item)}", field),
            });
            index++;
        }
        return documents;
    }
}

internal sealed record CohereRerankRequest(string Query, JsonElement Documents, string? Model, int? TopN, bool? ReturnDocuments, string? Instruction,
    string? LongDocumentStrategy, int? WindowOverlap, bool? ReturnWindows);

internal sealed record CohereRerankResponse(string Id, string Model, CohereResult[] Results, CohereUsage Usage);

internal sealed record CohereResult(int Index, float RelevanceScore, CohereDocument? Document, int? Window, CohereWindowSpan? WindowSpan, int? Windows);

/// <summary>The document tokens [start, end) of the window that gave a chunk-mode score.</summary>
internal sealed record CohereWindowSpan(int Start, int End);

internal sealed record CohereDocument(string Text);

internal sealed record CohereUsage(int TotalTokens);

internal sealed record TeiRerankRequest(string Query, string[] Texts, bool? ReturnText, bool? RawScores, bool? Truncate, string? TruncationDirection,
    string? LongDocumentStrategy, int? WindowOverlap, bool? ReturnWindows);

internal sealed record TeiRank(int Index, float Score, string? Text, int? Window, CohereWindowSpan? WindowSpan, int? Windows);
