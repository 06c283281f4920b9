using System.Globalization;
using System.Text.Json;
using Sift.Retrieval;
using Sift.Server.Errors;
using Sift.Server.Hosting;
using Sift.Server.Routes;

namespace Sift.Server.Retrieval;

/// <summary>
/// Collections over HTTP: create, list, inspect and delete collections; upsert, get, list and delete
/// documents; two-stage search. Requests are parsed here, the work is the library's
/// (<see cref="DocumentIndexer"/>, <see cref="SearchPipeline"/>, the store).
/// </summary>
internal static class CollectionRoutes
{
    /// <summary>Most document ids one list request returns.</summary>
    private const int MaxListLimit = 1000;

    public static void Map(WebApplication app)
    {
        app.MapPost("/v1/collections", CreateAsync).WithName("create_collection")
            .WithSummary("Create a collection: name, chunk_tokens (512), chunk_overlap (64), model (the served embedding model), dimensions (its width), "
                + "hybrid (false: whether searches fuse keyword recall by default). 201; 409 when the name is taken.")
            .Accepts<CreateCollectionRequest>("application/json").Produces<CollectionResponse>(StatusCodes.Status201Created);
        app.MapGet("/v1/collections", ListAsync).WithName("list_collections")
            .WithSummary("Every collection, by name.").Produces<CollectionListResponse>();
        app.MapGet("/v1/collections/{name}", GetAsync).WithName("get_collection")
            .WithSummary("A collection: model, dimensions, chunking, document and chunk counts, write version. 404 when unknown.").Produces<CollectionResponse>();
        app.MapDelete("/v1/collections/{name}", DeleteAsync).WithName("delete_collection")
            .WithSummary("Delete a collection and everything in it. 404 when unknown.").Produces<DeletedResponse>();
        app.MapPost("/v1/collections/{name}/documents", UpsertAsync).WithName("upsert_documents")
            .WithSummary("Upsert documents [{id, text, metadata?}] (a re-upserted id replaces the document and its chunks). Answers once the write is durable.")
            .Accepts<UpsertRequest>("application/json").Produces<UpsertResponse>();
        app.MapGet("/v1/collections/{name}/documents", ListDocumentsAsync).WithName("list_documents")
            .WithSummary("Document ids in order: ?limit= (100, at most 1000) and ?after= (the last id of the previous page).").Produces<DocumentListResponse>();
        app.MapGet("/v1/collections/{name}/documents/{**id}", GetDocumentAsync).WithName("get_document")
            .WithSummary("A document: id, text, metadata, chunk count. 404 when unknown.").Produces<DocumentResponse>();
        app.MapDelete("/v1/collections/{name}/documents/{**id}", DeleteDocumentAsync).WithName("delete_document")
            .WithSummary("Delete a document and its chunks. 404 when unknown.").Produces<DeletedResponse>();
        app.MapPost("/v1/collections/{name}/search", SearchAsync).WithName("search")
            .WithSummary("Two-stage search: the query embedded as a query, top_k (100) chunks by cosine similarity (filter: metadata equality), "
                + "with hybrid (the collection's default) also the top_k keyword matches, fused by reciprocal rank fusion (k = 60); "
                + "reranked, top_n (10) documents with their best chunk and the stage that found it. A reranker that fails, is not loaded, is overloaded "
                + "or misses rerank_timeout_ms leaves the first stage's order, with \"reranked\": false and \"fallback_reason\"; X-Sift-Cache says hit, miss, or shared (a concurrent identical search computed it).")
            .Accepts<SearchApiRequest>("application/json").Produces<SearchApiResponse>();
    }

    private static async Task CreateAsync(HttpContext context, RetrievalHost host)
    {
        using var body = await JsonBody.ReadAsync(context.Request, context.RequestAborted);
        var name = body.RequiredString("name");
        CollectionSettings.CheckName(name);
        var embedder = host.EmbedderNamed(body.OptionalString("model"));
        var dimensions = body.OptionalInt("dimensions") ?? embedder.MaxDimensions;
        if (dimensions < Engine.Embedder.MinDimensions || dimensions > embedder.MaxDimensions)
        {
            throw ApiException.BadRequest($"'dimensions' {dimensions} is outside {Engine.Embedder.MinDimensions}..{embedder.MaxDimensions} for '{embedder.ModelName}'",
                "dimensions", "invalid_dimensions");
        }
        var settings = new CollectionSettings
        {
            Name = name,
            Model = embedder.ModelName,
            Dimensions = dimensions,
            ChunkTokens = body.OptionalInt("chunk_tokens") ?? CollectionSettings.DefaultChunkTokens,
            ChunkOverlap = body.OptionalInt("chunk_overlap") ?? CollectionSettings.DefaultChunkOverlap,
            Hybrid = body.OptionalBool("hybrid") ?? false,
        };
        settings.Validate();
        if (settings.ChunkTokens >= embedder.MaxLength)
        {
            throw ApiException.BadRequest($"'chunk_tokens' {settings.ChunkTokens} must be below the model's input limit of {embedder.MaxLength} tokens", "chunk_tokens");
        }
        var created = await host.Store.CreateCollectionAsync(settings, context.RequestAborted);
        context.Response.StatusCode = StatusCodes.Status201Created;
        await using var json = JsonResponse.Start(context);
        WriteCollection(json, created);
    }

    private static async Task ListAsync(HttpContext context, RetrievalHost host)
    {
        var collections = await host.Store.ListCollectionsAsync(context.RequestAborted);
        await using var json = JsonResponse.Start(context);
        json.WriteStartObject();
        json.WriteStartArray("collections");
        foreach (var collection in collections)
        {
            WriteCollection(json, collection);
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static async Task GetAsync(HttpContext context, string name, RetrievalHost host)
    {
        var collection = await host.GetCollectionAsync(name, context.RequestAborted);
        await using var json = JsonResponse.Start(context);
        WriteCollection(json, collection);
    }

    private static async Task DeleteAsync(HttpContext context, string name, RetrievalHost host)
    {
        if (!await host.Store.DeleteCollectionAsync(name, context.RequestAborted))
        {
            throw RetrievalException.CollectionNotFound(name);
        }
        await using var json = JsonResponse.Start(context);
        WriteDeleted(json, name);
    }

    private static async Task UpsertAsync(HttpContext context, string name, RetrievalHost host, ServerOptions options)
    {
        using var body = await JsonBody.ReadAsync(context.Request, context.RequestAborted);
        var collection = await host.GetCollectionAsync(name, context.RequestAborted);
        var items = body.Required("documents");
        if (items.ValueKind != JsonValueKind.Array)
        {
            throw ApiException.BadRequest($"'documents' must be an array of {{id, text, metadata?}}, got {JsonBody.Describe(items)}", "documents");
        }
        if (items.GetArrayLength() > options.MaxClientBatchSize)
        {
            throw ApiException.BadRequest($"'documents' has {items.GetArrayLength()} documents; the limit is {options.MaxClientBatchSize} (--max-client-batch-size)",
                "documents", "too_many_inputs");
        }
        var documents = items.EnumerateArray().Select(ReadDocument).ToArray();
        var report = await host.IndexerFor(collection).UpsertAsync(collection, documents, skipUnchanged: false, context.RequestAborted);
        if (context.Features.Get<RequestStats>() is { } stats)
        {
            stats.Inputs = report.Chunks;
            stats.Tokens = report.Tokens;
        }
        await using var json = JsonResponse.Start(context);
        json.WriteStartObject();
        json.WriteString("collection", name);
        json.WriteNumber("upserted", report.Upserted);
        json.WriteNumber("chunks", report.Chunks);
        json.WriteNumber("write_version", report.WriteVersion);
        json.WriteStartObject("usage");
        json.WriteNumber("total_tokens", report.Tokens);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static async Task ListDocumentsAsync(HttpContext context, string name, RetrievalHost host)
    {
        var limit = 100;
        if (context.Request.Query.TryGetValue("limit", out var limitText)
            && (!int.TryParse(limitText, NumberStyles.Integer, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > MaxListLimit))
        {
            throw ApiException.BadRequest($"'limit' must be an integer in 1..{MaxListLimit}, got \"{limitText}\"", "limit");
        }
        string? after = context.Request.Query.TryGetValue("after", out var afterText) ? afterText.ToString() : null;
        _ = await host.GetCollectionAsync(name, context.RequestAborted);
        var ids = await host.Store.ListDocumentIdsAsync(name, after, limit, context.RequestAborted);
        await using var json = JsonResponse.Start(context);
        json.WriteStartObject();
        json.WriteStartArray("ids");
        foreach (var id in ids)
        {
            json.WriteStringValue(id);
        }
        json.WriteEndArray();
        if (ids.Count == limit)
        {
            json.WriteString("next", ids[^1]);
        }
        else
        {
            json.WriteNull("next");
        }
        json.WriteEndObject();
    }

    private static async Task GetDocumentAsync(HttpContext context, string name, string id, RetrievalHost host)
    {
        _ = await host.GetCollectionAsync(name, context.RequestAborted);
        var document = await host.Store.GetDocumentAsync(name, id, context.RequestAborted) ?? throw RetrievalException.DocumentNotFound(name, id);
        await using var json = JsonResponse.Start(context);
        json.WriteStartObject();
        json.WriteString("id", document.Id);
        json.WriteString("text", document.Text);
        json.WritePropertyName("metadata");
        DocumentMetadata.Write(json, document.Metadata);
        json.WriteNumber("chunks", document.ChunkCount);
        json.WriteEndObject();
    }

    private static async Task DeleteDocumentAsync(HttpContext context, string name, string id, RetrievalHost host)
    {
        _ = await host.GetCollectionAsync(name, context.RequestAborted);
        if (!await host.Store.DeleteDocumentAsync(name, id, context.RequestAborted))
        {
            throw RetrievalException.DocumentNotFound(name, id);
        }
        await using var json = JsonResponse.Start(context);
        WriteDeleted(json, id);
    }

    private static async Task SearchAsync(HttpContext context, string name, RetrievalHost host, CollectionSearch search, ServerOptions options)
    {
        using var body = await JsonBody.ReadAsync(context.Request, context.RequestAborted);
        var request = new SearchRequest
        {
            Query = body.RequiredString("query"),
            Instruction = body.OptionalString("instruction"),
            TopK = body.OptionalInt("top_k") ?? SearchRequest.DefaultTopK,
            TopN = body.OptionalInt("top_n") ?? SearchRequest.DefaultTopN,
            Filter = body.TryGet("filter", out var filter) ? DocumentMetadata.FromJson(filter, "filter") : DocumentMetadata.Empty,
            Hybrid = body.OptionalBool("hybrid"),
            Rerank = body.OptionalBool("rerank") ?? true,
            RerankTop = body.OptionalInt("rerank_top"),
            RerankInstruction = body.OptionalString("rerank_instruction"),
            RerankTimeout = body.OptionalInt("rerank_timeout_ms") is { } timeoutMs ? TimeSpan.FromMilliseconds(timeoutMs) : options.RerankTimeout,
        };
        request.Validate();
        var collection = await host.GetCollectionAsync(name, context.RequestAborted);
        var response = await search.SearchAsync(collection, request, context);
        if (context.Features.Get<RequestStats>() is { } stats)
        {
            stats.Inputs = response.Recalled;
            stats.Tokens = response.EmbedTokens + response.RerankTokens;
            stats.ComputeMilliseconds = response.Timings.Embed + response.Timings.Rerank;
        }

        await using var json = JsonResponse.Start(context);
        json.WriteStartObject();
        json.WriteString("collection", name);
        Caching.CachedSearchSerializer.WriteResults(json, response.Results);
        json.WriteBoolean("reranked", response.Reranked);
        if (response.FallbackReason is { } reason)
        {
            json.WriteString("fallback_reason", reason);
        }
        json.WriteBoolean("hybrid", response.Hybrid);
        json.WriteNumber("recalled", response.Recalled);
        json.WriteStartObject("usage");
        json.WriteNumber("embed_tokens", response.EmbedTokens);
        json.WriteNumber("rerank_tokens", response.RerankTokens);
        json.WriteNumber("total_tokens", response.EmbedTokens + response.RerankTokens);
        json.WriteEndObject();
        json.WriteStartObject("timings_ms");
        json.WriteNumber("embed", Math.Round(response.Timings.Embed, 3));
        json.WriteNumber("vector", Math.Round(response.Timings.Vector, 3));
        if (response.Hybrid)
        {
            // Only a hybrid search has a keyword stage; a zero here would read as a stage that ran.
            json.WriteNumber("lexical", Math.Round(response.Timings.Lexical, 3));
        }
        json.WriteNumber("rerank", Math.Round(response.Timings.Rerank, 3));
        json.WriteNumber("total", Math.Round(response.Timings.Total, 3));
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static DocumentInput ReadDocument(JsonElement item, int index)
    {
        var field = $"documents[{index}]";
        if (item.ValueKind != JsonValueKind.Object)
        {
            throw ApiException.BadRequest($"'{field}' must be an object {{id, text, metadata?}}, got {JsonBody.Describe(item)}", field);
        }
        string Text(string name) => item.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? JsonBody.AsString(value, $"{field}.{name}")
            : throw ApiException.BadRequest($"'{field}.{name}' is required", $"{field}.{name}");
        var metadata = item.TryGetProperty("metadata", out var given) && given.ValueKind != JsonValueKind.Null
            ? DocumentMetadata.FromJson(given, $"{field}.metadata")
            : DocumentMetadata.Empty;
        return new DocumentInput(Text("id"), Text("text"), metadata);
    }

    private static void WriteCollection(Utf8JsonWriter json, CollectionInfo collection)
    {
        json.WriteStartObject();
        json.WriteString("name", collection.Name);
        json.WriteString("model", collection.Settings.Model);
        json.WriteNumber("dimensions", collection.Settings.Dimensions);
        json.WriteNumber("chunk_tokens", collection.Settings.ChunkTokens);
        json.WriteNumber("chunk_overlap", collection.Settings.ChunkOverlap);
        json.WriteBoolean("hybrid", collection.Settings.Hybrid);
        json.WriteNumber("documents", collection.DocumentCount);
        json.WriteNumber("chunks", collection.ChunkCount);
        json.WriteNumber("write_version", collection.WriteVersion);
        json.WriteString("created_at", collection.CreatedAt);
        json.WriteEndObject();
    }

    private static void WriteDeleted(Utf8JsonWriter json, string id)
    {
        json.WriteStartObject();
        json.WriteString("id", id);
        json.WriteBoolean("deleted", true);
        json.WriteEndObject();
    }
}

/// <summary>POST /v1/collections (documented shape; parsing is by hand for precise errors).</summary>
internal sealed record CreateCollectionRequest(string Name, int? ChunkTokens, int? ChunkOverlap, string? Model, int? Dimensions, bool? Hybrid);

internal sealed record CollectionResponse(string Name, string Model, int Dimensions, int ChunkTokens, int ChunkOverlap, bool Hybrid, long Documents, long Chunks,
    long WriteVersion, DateTimeOffset CreatedAt);

internal sealed record CollectionListResponse(CollectionResponse[] Collections);

internal sealed record DeletedResponse(string Id, bool Deleted);

internal sealed record UpsertDocument(string Id, string Text, Dictionary<string, JsonElement>? Metadata);

internal sealed record UpsertRequest(UpsertDocument[] Documents);

internal sealed record UpsertResponse(string Collection, int Upserted, int Chunks, long WriteVersion, TokenUsage Usage);

internal sealed record TokenUsage(int TotalTokens);

internal sealed record DocumentListResponse(string[] Ids, string? Next);

internal sealed record DocumentResponse(string Id, string Text, Dictionary<string, JsonElement> Metadata, int Chunks);

internal sealed record SearchApiRequest(string Query, string? Instruction, int? TopK, int? TopN, Dictionary<string, JsonElement>? Filter, bool? Hybrid,
    bool? Rerank, int? RerankTop, string? RerankInstruction, int? RerankTimeoutMs);

internal sealed record SearchApiChunk(int Index, string Text);

internal sealed record SearchApiResult(string Id, float Score, float VectorScore, string Stage, SearchApiChunk Chunk, Dictionary<string, JsonElement> Metadata);

internal sealed record SearchApiUsage(int EmbedTokens, int RerankTokens, int TotalTokens);

internal sealed record SearchApiTimings(double Embed, double Vector, double Lexical, double Rerank, double Total);

internal sealed record SearchApiResponse(string Collection, SearchApiResult[] Results, bool Reranked, string? FallbackReason, bool Hybrid, int Recalled,
    SearchApiUsage Usage, SearchApiTimings TimingsMs);
