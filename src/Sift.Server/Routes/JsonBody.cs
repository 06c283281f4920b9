using System.Text.Json;
using Sift.Server.Errors;

namespace Sift.Server.Routes;

/// <summary>A request's JSON object with typed accessors whose errors name the field and what it should be.</summary>
internal sealed class JsonBody : IDisposable
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64 };
    private readonly JsonDocument _document;

    private JsonBody(JsonDocument document) => _document = document;

    public JsonElement Root => _document.RootElement;

    public static async Task<JsonBody> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var document = await JsonDocument.ParseAsync(request.Body, Options, cancellationToken);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            var message = $"the body must be a JSON object, got {Describe(document.RootElement)}";
            document.Dispose();
            throw ApiException.BadRequest(message);
        }
        return new JsonBody(document);
    }

    public bool TryGet(string name, out JsonElement value) =>
        Root.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    public JsonElement Required(string name) =>
        TryGet(name, out var value) ? value : throw ApiException.BadRequest($"'{name}' is required", name);

    public string RequiredString(string name) => AsString(Required(name), name);

    public string? OptionalString(string name) => TryGet(name, out var value) ? AsString(value, name) : null;

    public int? OptionalInt(string name)
    {
        if (!TryGet(name, out var value))
        {
            return null;
        }
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number)
            ? number
            : throw ApiException.BadRequest($"'{name}' must be an integer, got {Describe(value)}", name);
    }

    public bool? OptionalBool(string name)
    {
        if (!TryGet(name, out var value))
        {
            return null;
        }
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw ApiException.BadRequest($"'{name}' must be true or false, got {Describe(value)}", name),
        };
    }

    public static string AsString(JsonElement value, string name)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            throw ApiException.BadRequest($"'{name}' must be a string, got {Describe(value)}", name);
        }
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw ApiException.BadRequest($"'{name}' holds invalid UTF-16 (a lone surrogate)", name);
        }
    }

    public static int AsTokenId(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var id)
            ? id
            : throw ApiException.BadRequest($"'{name}' must hold integer token ids, got {Describe(value)}", name);

    /// <summary>A short description of a JSON value for error messages: its type, and its text when short.</summary>
    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => $"{value.GetRawText()}",
        JsonValueKind.Null => "null",
        _ => value.ValueKind.ToString(),
    };

    public void Dispose() => _document.Dispose();
}
