using System.Text;
using System.Text.Json;
using Sift.Engine;
using Sift.Abstractions;
using Sift.Engine.LongDocuments;
using Sift.Server.Errors;
using Sift.Server.Hosting;

namespace Sift.Server.Routes;

/// <summary>Text Embeddings Inference routes: POST /embed, /tokenize and /decode.</summary>
internal static class TeiRoutes
{
    /// <summary>The longest input range a /tokenize token's <c>text</c> is cut from (a vocabulary token is at most 128 bytes).</summary>
    private const int MaxInputTextBytes = 256;

    public static void Map(WebApplication app)
    {
        app.MapPost("/", RootAsync).WithName("tei_root")
            .WithSummary("TEI's default route, where Hugging Face's inference clients post: {query, texts} reranks (TEI shape); anything else embeds as /embed does.")
            .Accepts<TeiEmbedRequest>("application/json").Produces<float[][]>();
        app.MapPost("/embed", EmbedAsync).WithName("tei_embed")
            .WithSummary("TEI embed: inputs (string or string[]), normalize, truncate, truncation_direction, dimensions, prompt_name (\"query\" or \"document\"); "
                + "extensions: long_document_strategy (truncate, chunk, error), window_overlap.")
            .Accepts<TeiEmbedRequest>("application/json").Produces<float[][]>();
        app.MapPost("/tokenize", TokenizeAsync).WithName("tei_tokenize")
            .WithSummary("TEI tokenize: inputs, add_special_tokens → per input [{id, text, special, start, stop}] (UTF-8 byte offsets into the input as sent).")
            .Accepts<TeiTokenizeRequest>("application/json").Produces<TeiToken[][]>();
        app.MapPost("/decode", DecodeAsync).WithName("tei_decode")
            .WithSummary("TEI decode: ids (int[] or int[][]), skip_special_tokens → string or string[].")
            .Accepts<TeiDecodeRequest>("application/json").Produces<string>();
    }

    /// <summary>POST / as TEI answers it: the route of the loaded model, told apart here by the body since Sift serves both kinds.</summary>
    private static async Task RootAsync(HttpContext context, ModelRegistry registry, IEmbeddingService embeddings, IRerankService reranks, ServerOptions options)
    {
        using var body = await JsonBody.ReadAsync(context.Request, context.RequestAborted);
        if (body.TryGet("query", out _) && body.TryGet("texts", out _))
        {
            await RerankRoutes.TeiAsync(context, body, registry, reranks, options);
        }
        else
        {
            await AnswerEmbedAsync(context, body, registry, embeddings, options);
        }
    }

    private static async Task EmbedAsync(HttpContext context, ModelRegistry registry, IEmbeddingService service, ServerOptions options)
    {
        using var body = await JsonBody.ReadAsync(context.Request, context.RequestAborted);
        await AnswerEmbedAsync(context, body, registry, service, options);
    }

    private static async Task AnswerEmbedAsync(HttpContext context, JsonBody body, ModelRegistry registry, IEmbeddingService service, ServerOptions serverOptions)
    {
        var model = registry.GetEmbedder(body.OptionalString("model"));
        var promptName = body.OptionalString("prompt_name");
        if (promptName is not (null or "query" or "document"))
        {
            throw ApiException.BadRequest($"'prompt_name' must be \"query\" or \"document\" (the model's prompts), got \"{promptName}\"", "prompt_name");
        }
        var direction = body.OptionalString("truncation_direction") ?? "Right";
        if (direction is not ("Right" or "Left"))
        {
            throw ApiException.BadRequest($"'truncation_direction' must be \"Right\" or \"Left\", got \"{direction}\"", "truncation_direction");
        }
        var texts = ReadTexts(body.Required("inputs"), "inputs");
        var inputs = texts.Select(t => promptName == "query" ? EmbeddingInput.Query(t) : EmbeddingInput.Document(t)).ToArray();
        var truncate = body.OptionalBool("truncate") ?? false;
        var policy = LongDocumentPolicy.Read(body, serverOptions, truncate ? LongDocumentStrategy.Truncate : LongDocumentStrategy.Error);
        if (policy.ReturnWindows)
        {
            throw ApiException.BadRequest("'return_windows' needs a response with room for windows: TEI's /embed answers bare arrays; use /v1/embeddings", "return_windows");
        }
        var options = policy.Apply(new EmbedOptions
        {
            Normalize = body.OptionalBool("normalize") ?? true,
            TruncateFromStart = direction == "Left",
            Dimensions = body.OptionalInt("dimensions"),
        }, truncateQueries: truncate);
        var (results, _) = await service.EmbedAsync(model, inputs, options, "inputs", context);
        await using var json = JsonResponse.Start(context);
        json.WriteStartArray();
        foreach (var result in results)
        {
            json.WriteStartArray();
            foreach (var value in result.Vector)
            {
                json.WriteNumberValue(value);
            }
            json.WriteEndArray();
        }
        json.WriteEndArray();
    }

    private static async Task TokenizeAsync(HttpContext context, ModelRegistry registry, ServerOptions options)
    {
        using var body = await JsonBody.ReadAsync(context.Request, context.RequestAborted);
        var (tokenizer, maxLength) = registry.GetTokenizing(body.OptionalString("model"));
        var texts = ReadTexts(body.Required("inputs"), "inputs");
        RequestLimits.CheckBatchSize(texts.Count, options, "inputs");
        var addSpecial = body.OptionalBool("add_special_tokens") ?? true;
        var encoded = new (byte[] Utf8, IReadOnlyList<Sift.Tokenization.TokenSpan> Tokens)[texts.Count];
        var counted = Sift.Tokenization.Tokenizer.RefusalCount(maxLength);
        for (var i = 0; i < texts.Count; i++)
        {
            // A text far over the limit is refused from its first tokens, not encoded whole.
            var tokens = tokenizer.TryEncodeWithOffsets(texts[i], addSpecial, counted, offsetsIntoInput: true);
            if (tokens is null)
            {
                RequestLimits.RefuseLonger(i, counted, maxLength, "inputs");
            }
            RequestLimits.CheckLength(i, tokens!.Count, maxLength, "inputs");
            // Offsets are into the input as sent (as TEI's are), so each token's text is cut from it.
            encoded[i] = (Encoding.UTF8.GetBytes(texts[i]), tokens);
        }
        await using var json = JsonResponse.Start(context);
        json.WriteStartArray();
        foreach (var (utf8, tokens) in encoded)
        {
            json.WriteStartArray();
            foreach (var token in tokens)
            {
                json.WriteStartObject();
                json.WriteNumber("id", token.Id);
                // A token inside a character and its long run of combining marks (hostile input) is given
                // the whole run as its range; its text is then its own, so a response stays proportional to its tokens.
                json.WriteString("text", token.End > token.Start && token.End <= utf8.Length && token.End - token.Start <= MaxInputTextBytes
                    ? Encoding.UTF8.GetString(utf8, token.Start, token.End - token.Start)
                    : tokenizer.Decode([token.Id]));
                json.WriteBoolean("special", token.Special);
                json.WriteNumber("start", token.Start);
                json.WriteNumber("stop", token.End);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        json.WriteEndArray();
    }

    private static async Task DecodeAsync(HttpContext context, ModelRegistry registry, ServerOptions options)
    {
        using var body = await JsonBody.ReadAsync(context.Request, context.RequestAborted);
        var (tokenizer, maxLength) = registry.GetTokenizing(body.OptionalString("model"));
        var ids = body.Required("ids");
        var skipSpecial = body.OptionalBool("skip_special_tokens") ?? true;
        if (ids.ValueKind != JsonValueKind.Array || ids.GetArrayLength() == 0)
        {
            throw ApiException.BadRequest($"'ids' must be a non-empty array of token ids (or of arrays of them), got {JsonBody.Describe(ids)}", "ids");
        }
        string Decode(JsonElement list) =>
            tokenizer.Decode(list.EnumerateArray().Select(id => CheckedId(JsonBody.AsTokenId(id, "ids"), tokenizer.VocabularySize)).ToArray(), skipSpecial);
        // Everything that can fail runs before the response starts: a flushed 200 cannot become a 400.
        var batch = ids[0].ValueKind == JsonValueKind.Array;
        var lists = batch ? ids.EnumerateArray().ToArray() : [ids];
        RequestLimits.CheckBatchSize(lists.Length, options, "ids", "token lists");
        for (var i = 0; i < lists.Length; i++)
        {
            RequestLimits.CheckLength(i, lists[i].ValueKind == JsonValueKind.Array ? lists[i].GetArrayLength() : 0, maxLength, "ids");
        }
        var texts = batch
            ? ids.EnumerateArray().Select(list => list.ValueKind == JsonValueKind.Array ? Decode(list) : throw ApiException.BadRequest("'ids' mixes arrays and numbers", "ids")).ToArray()
            : [Decode(ids)];
        await using var json = JsonResponse.Start(context);
        if (batch)
        {
            json.WriteStartArray();
            foreach (var text in texts)
            {
                json.WriteStringValue(text);
            }
            json.WriteEndArray();
        }
        else
        {
            json.WriteStringValue(texts[0]);
        }
    }

    private static int CheckedId(int id, int vocabularySize) =>
        (uint)id < (uint)vocabularySize ? id : throw ApiException.BadRequest($"token id {id} is outside the vocabulary (0..{vocabularySize - 1})", "ids");

    /// <summary>A string or an array of non-empty strings (TEI refuses empty inputs).</summary>
    private static List<string> ReadTexts(JsonElement value, string field)
    {
        var items = value.ValueKind switch
        {
            JsonValueKind.String => [value],
            JsonValueKind.Array => value.EnumerateArray().ToList(),
            _ => throw ApiException.BadRequest($"'{field}' must be a string or an array of strings, got {JsonBody.Describe(value)}", field),
        };
        var texts = new List<string>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            var text = JsonBody.AsString(items[i], field);
            texts.Add(text.Length > 0 ? text : throw ApiException.BadRequest($"input {i} is an empty string", field));
        }
        return texts;
    }
}

internal sealed record TeiEmbedRequest(JsonElement Inputs, bool? Normalize, bool? Truncate, string? TruncationDirection, int? Dimensions, string? PromptName,
    string? LongDocumentStrategy, int? WindowOverlap);

internal sealed record TeiTokenizeRequest(JsonElement Inputs, bool? AddSpecialTokens);

internal sealed record TeiToken(int Id, string Text, bool Special, int Start, int Stop);

internal sealed record TeiDecodeRequest(JsonElement Ids, bool? SkipSpecialTokens);
