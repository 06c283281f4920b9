using System.Text;
using System.Text.Json;
using Sift.Engine;
using Sift.Server.Errors;
using Sift.Server.Hosting;

namespace Sift.Server.Routes;

/// <summary>Text Embeddings Inference routes: POST /embed, /tokenize and /decode.</summary>
internal static class TeiRoutes
{
    public static void Map(WebApplication app)
    {
        app.MapPost("/embed", EmbedAsync).WithName("tei_embed")
            .WithSummary("TEI embed: inputs (string or string[]), normalize, truncate, truncation_direction, dimensions, prompt_name (\"query\" or \"document\").")
            .Accepts<TeiEmbedRequest>("application/json").Produces<float[][]>();
        app.MapPost("/tokenize", TokenizeAsync).WithName("tei_tokenize")
            .WithSummary("TEI tokenize: inputs, add_special_tokens → per input [{id, text, special, start, stop}] (UTF-8 byte offsets).")
            .Accepts<TeiTokenizeRequest>("application/json").Produces<TeiToken[][]>();
        app.MapPost("/decode", DecodeAsync).WithName("tei_decode")
            .WithSummary("TEI decode: ids (int[] or int[][]), skip_special_tokens → string or string[].")
            .Accepts<TeiDecodeRequest>("application/json").Produces<string>();
    }

    private static async Task EmbedAsync(HttpContext context, ModelRegistry registry, IEmbeddingService service)
    {
        using var body = await JsonBody.ReadAsync(context.Request, context.RequestAborted);
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
        var options = new EmbedOptions
        {
            Normalize = body.OptionalBool("normalize") ?? true,
            Truncate = body.OptionalBool("truncate") ?? false,
            TruncateFromStart = direction == "Left",
            Dimensions = body.OptionalInt("dimensions"),
        };
        var (vectors, _) = await service.EmbedAsync(model, inputs, options, "inputs", context);
        await using var json = JsonResponse.Start(context);
        json.WriteStartArray();
        foreach (var vector in vectors)
        {
            json.WriteStartArray();
            foreach (var value in vector)
            {
                json.WriteNumberValue(value);
            }
            json.WriteEndArray();
        }
        json.WriteEndArray();
    }

    private static async Task TokenizeAsync(HttpContext context, ModelRegistry registry)
    {
        using var body = await JsonBody.ReadAsync(context.Request, context.RequestAborted);
        var tokenizer = registry.GetTokenizer(body.OptionalString("model"));
        var texts = ReadTexts(body.Required("inputs"), "inputs");
        var addSpecial = body.OptionalBool("add_special_tokens") ?? true;
        var encoded = texts.Select(text => (Utf8: Encoding.UTF8.GetBytes(text.Normalize(NormalizationForm.FormC)), Tokens: tokenizer.EncodeWithOffsets(text, addSpecial))).ToArray();
        await using var json = JsonResponse.Start(context);
        json.WriteStartArray();
        foreach (var (utf8, tokens) in encoded)
        {
            json.WriteStartArray();
            foreach (var token in tokens)
            {
                json.WriteStartObject();
                json.WriteNumber("id", token.Id);
                json.WriteString("text", token.End > token.Start && token.End <= utf8.Length
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

    private static async Task DecodeAsync(HttpContext context, ModelRegistry registry)
    {
        using var body = await JsonBody.ReadAsync(context.Request, context.RequestAborted);
        var tokenizer = registry.GetTokenizer(body.OptionalString("model"));
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

internal sealed record TeiEmbedRequest(JsonElement Inputs, bool? Normalize, bool? Truncate, string? TruncationDirection, int? Dimensions, string? PromptName);

internal sealed record TeiTokenizeRequest(JsonElement Inputs, bool? AddSpecialTokens);

internal sealed record TeiToken(int Id, string Text, bool Special, int Start, int Stop);

internal sealed record TeiDecodeRequest(JsonElement Ids, bool? SkipSpecialTokens);
