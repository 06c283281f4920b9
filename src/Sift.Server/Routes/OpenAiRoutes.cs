using System.Runtime.InteropServices;
using System.Text.Json;
using Sift.Engine;
using Sift.Abstractions;
using Sift.Engine.LongDocuments;
using Sift.Server.Errors;
using Sift.Server.Hosting;

namespace Sift.Server.Routes;

/// <summary>OpenAI-compatible routes: POST /v1/embeddings and GET /v1/models.</summary>
internal static class OpenAiRoutes
{
    public static void Map(WebApplication app)
    {
        app.MapPost("/v1/embeddings", EmbeddingsAsync)
            .WithName("openai_embeddings")
            .WithSummary("OpenAI embeddings: input as string, string[], int[] or int[][]; dimensions; encoding_format float or base64; "
                + "extensions: long_document_strategy (truncate, chunk, error), window_overlap, return_windows.")
            .Accepts<OpenAiEmbeddingRequest>("application/json")
            .Produces<OpenAiEmbeddingResponse>();
        app.MapGet("/v1/models", ListModels)
            .WithName("openai_models")
            .WithSummary("The served models.")
            .Produces<OpenAiModelList>();
    }

    private static async Task EmbeddingsAsync(HttpContext context, ModelRegistry registry, IEmbeddingService service, ServerOptions serverOptions)
    {
        using var body = await JsonBody.ReadAsync(context.Request, context.RequestAborted);
        var model = registry.GetEmbedder(body.OptionalString("model"));
        var encoding = body.OptionalString("encoding_format") ?? "float";
        if (encoding is not ("float" or "base64"))
        {
            throw ApiException.BadRequest($"'encoding_format' must be \"float\" or \"base64\", got \"{encoding}\"", "encoding_format");
        }
        _ = body.OptionalString("user");
        var instruction = body.OptionalString("instruction");
        var inputType = body.OptionalString("input_type");
        if (inputType is not (null or "query" or "document"))
        {
            throw ApiException.BadRequest($"'input_type' must be \"query\" or \"document\", got \"{inputType}\"", "input_type");
        }
        var asQuery = instruction is not null || inputType == "query";
        var inputs = ReadInputs(body.Required("input"), asQuery, instruction);
        var truncate = body.OptionalBool("truncate") ?? false;
        var policy = LongDocumentPolicy.Read(body, serverOptions, truncate ? LongDocumentStrategy.Truncate : LongDocumentStrategy.Error);
        var options = policy.Apply(new EmbedOptions { Dimensions = body.OptionalInt("dimensions") }, truncateQueries: truncate);

        var (results, tokens) = await service.EmbedAsync(model, inputs, options, "input", context);

        await using var json = JsonResponse.Start(context);
        json.WriteStartObject();
        json.WriteString("object", "list");
        json.WriteStartArray("data");
        for (var i = 0; i < results.Length; i++)
        {
            json.WriteStartObject();
            json.WriteString("object", "embedding");
            json.WriteNumber("index", i);
            WriteVector(json, "embedding", results[i].Vector, encoding);
            if (results[i].Windows is { } windows)
            {
                json.WriteStartArray("windows");
                foreach (var window in windows)
                {
                    json.WriteStartObject();
                    json.WriteNumber("start", window.Span.Start);
                    json.WriteNumber("end", window.Span.End);
                    WriteVector(json, "embedding", window.Vector, encoding);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteString("model", model.Name);
        json.WriteStartObject("usage");
        json.WriteNumber("prompt_tokens", tokens);
        json.WriteNumber("total_tokens", tokens);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteVector(Utf8JsonWriter json, string name, float[] vector, string encoding)
    {
        if (encoding == "base64")
        {
            // Little-endian float32, as OpenAI sends it.
            json.WriteBase64String(name, MemoryMarshal.AsBytes(vector.AsSpan()));
            return;
        }
        json.WriteStartArray(name);
        foreach (var value in vector)
        {
            json.WriteNumberValue(value);
        }
        json.WriteEndArray();
    }

    /// <summary>string, string[], int[] (one tokenized input) or int[][]; empty strings are refused as OpenAI does.</summary>
    private static List<EmbeddingInput> ReadInputs(JsonElement input, bool asQuery, string? instruction)
    {
        EmbeddingInput Text(string text, int index)
        {
            if (text.Length == 0)
            {
                throw ApiException.BadRequest($"input {index} is an empty string", "input");
            }
            return asQuery ? EmbeddingInput.Query(text, instruction) : EmbeddingInput.Document(text);
        }
        if (input.ValueKind == JsonValueKind.String)
        {
            return [Text(JsonBody.AsString(input, "input"), 0)];
        }
        if (input.ValueKind != JsonValueKind.Array)
        {
            throw ApiException.BadRequest($"'input' must be a string, an array of strings, or token ids, got {JsonBody.Describe(input)}", "input");
        }
        var items = input.EnumerateArray().ToArray();
        if (items.Length > 0 && items.All(i => i.ValueKind == JsonValueKind.Number))
        {
            return [EmbeddingInput.Tokens(items.Select(i => JsonBody.AsTokenId(i, "input")).ToArray())];
        }
        var inputs = new List<EmbeddingInput>(items.Length);
        for (var i = 0; i < items.Length; i++)
        {
            inputs.Add(items[i].ValueKind switch
            {
                JsonValueKind.String => Text(JsonBody.AsString(items[i], "input"), i),
                JsonValueKind.Array when items[i].GetArrayLength() > 0 =>
                    EmbeddingInput.Tokens(items[i].EnumerateArray().Select(t => JsonBody.AsTokenId(t, "input")).ToArray()),
                JsonValueKind.Array => throw ApiException.BadRequest($"input {i} is an empty token list", "input"),
                _ => throw ApiException.BadRequest($"input {i} must be a string or an array of token ids, got {JsonBody.Describe(items[i])}", "input"),
            });
        }
        return inputs;
    }

    /// <summary>
    /// The OpenAI list, each model with what an operator checks: its kind, longest input
    /// (max_model_len, as vLLM names it), embedding dimensions, weight format in memory, compute threads, the kernel path
    /// (instruction set) the passes run on, batch and memory
    /// limits, resident weight bytes, and its exact identity (hub revision, SHA-256 of each weight file).
    /// </summary>
    private static async Task ListModels(HttpContext context, ModelRegistry registry, ServerOptions options, ServerClock clock)
    {
        await using var json = JsonResponse.Start(context);
        json.WriteStartObject();
        json.WriteString("object", "list");
        json.WriteStartArray("data");
        foreach (var model in registry.Descriptions)
        {
            foreach (var name in model.Names)
            {
                json.WriteStartObject();
                json.WriteString("id", name);
                json.WriteString("object", "model");
                json.WriteNumber("created", clock.StartedUnixSeconds);
                json.WriteString("owned_by", "sift");
                json.WriteString("kind", model.Kind);
                if (model.Kind == "embedding")
                {
                    // The Matryoshka maximum: requests may ask for 32..dimensions.
                    json.WriteNumber("dimensions", model.Model.Config.HiddenSize);
                }
                json.WriteNumber("max_model_len", model.MaxLength);
                json.WriteString("dtype", model.Model.WeightFormat.ToString().ToLowerInvariant());
                json.WriteString("embedding_dtype", model.Model.EmbeddingType.ToString().ToLowerInvariant());
                json.WriteNumber("threads", Kernels.WorkerPool.Shared.ThreadCount);
                json.WriteString("kernel_path", Kernels.KernelPath.Current.Name);
                json.WriteString("kernel_instruction_set", Kernels.KernelPath.Current.InstructionSet);
                json.WriteNumber("max_batch_tokens", options.MaxBatchTokens);
                if (registry.Memory is { } memory)
                {
                    json.WriteNumber("memory_budget", memory.Budget);
                }
                else
                {
                    json.WriteNull("memory_budget");
                }
                json.WriteNumber("weights_bytes", model.Model.PackedWeightBytes + model.Model.EmbeddingBytes);
                var provenance = model.Provenance;
                json.WriteString("revision", provenance.Revision);
                WeightFilesJson.Write(json, "files", provenance.Files);
                json.WriteEndObject();
            }
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }
}

/// <summary>The request body of POST /v1/embeddings (documented shape; parsing is by hand for precise errors).</summary>
internal sealed record OpenAiEmbeddingRequest(JsonElement Input, string? Model, int? Dimensions, string? EncodingFormat, string? User,
    string? Instruction, string? InputType, bool? Truncate, string? LongDocumentStrategy, int? WindowOverlap, bool? ReturnWindows);

internal sealed record OpenAiEmbeddingResponse(string Object, OpenAiEmbedding[] Data, string Model, OpenAiUsage Usage);

internal sealed record OpenAiEmbedding(string Object, int Index, float[] Embedding, OpenAiEmbeddingWindow[]? Windows);

/// <summary>One window of a document embedded in chunk mode, with its content-token span [start, end).</summary>
internal sealed record OpenAiEmbeddingWindow(int Start, int End, float[] Embedding);

internal sealed record OpenAiUsage(int PromptTokens, int TotalTokens);

internal sealed record OpenAiModelList(string Object, OpenAiModel[] Data);

internal sealed record OpenAiModel(string Id, string Object, long Created, string OwnedBy, string Kind, int? Dimensions, int MaxModelLen, string Dtype, string EmbeddingDtype,
    int Threads, string KernelPath, string KernelInstructionSet, int MaxBatchTokens, long? MemoryBudget, long WeightsBytes, string? Revision, OpenAiModelFile[] Files);

internal sealed record OpenAiModelFile(string Name, long Bytes, string? Sha256);
