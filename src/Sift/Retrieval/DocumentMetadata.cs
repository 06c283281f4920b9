using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Sift.Retrieval;

/// <summary>
/// A document's metadata: a flat JSON object of strings, numbers and booleans. Read from JSON with
/// errors that name the bad key, and written back as canonical JSON (keys sorted) for the stores.
/// </summary>
public static class DocumentMetadata
{
    /// <summary>Longest metadata key in characters.</summary>
    public const int MaxKeyLength = 128;

    /// <summary>Most keys one document's metadata may have.</summary>
    public const int MaxKeys = 64;

    /// <summary>2^53: the largest magnitude up to which a double holds every integer exactly.</summary>
    private const long MaxExactInteger = 9007199254740992;

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>An empty metadata object.</summary>
    public static IReadOnlyDictionary<string, MetadataValue> Empty { get; } = new SortedDictionary<string, MetadataValue>(StringComparer.Ordinal);

    /// <summary>Reads a flat JSON object; <paramref name="field"/> names it in errors (e.g. "documents[3].metadata").</summary>
    /// <exception cref="RetrievalException">Not an object, nested values, nulls, or bad keys (400).</exception>
    public static IReadOnlyDictionary<string, MetadataValue> FromJson(JsonElement value, string field) => FromJson(value, field, exactIntegers: true);

    /// <param name="value">The JSON object.</param>
    /// <param name="field">Its name in errors.</param>
    /// <param name="exactIntegers">
    /// Refuse integers a double cannot hold exactly (request input); stored metadata, written before
    /// that rule, is read as it is.
    /// </param>
    private static IReadOnlyDictionary<string, MetadataValue> FromJson(JsonElement value, string field, bool exactIntegers)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw RetrievalException.BadRequest($"'{field}' must be a flat JSON object of strings, numbers and booleans, got {Describe(value)}", field, "invalid_metadata");
        }
        var metadata = new SortedDictionary<string, MetadataValue>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            var key = KeyOf(property, field);
            CheckKey(key, field);
            if (!metadata.TryAdd(key, ReadValue(property.Value, $"{field}.{key}", exactIntegers)))
            {
                throw RetrievalException.BadRequest($"'{field}' has the key '{key}' twice", field, "invalid_metadata");
            }
        }
        if (metadata.Count > MaxKeys)
        {
            throw RetrievalException.BadRequest($"'{field}' has {metadata.Count} keys; the limit is {MaxKeys}", field, "invalid_metadata");
        }
        return metadata;
    }

    /// <summary>Parses canonical JSON text written by <see cref="ToJson"/>.</summary>
    public static IReadOnlyDictionary<string, MetadataValue> Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return FromJson(document.RootElement, "metadata", exactIntegers: false);
    }

    /// <summary>The metadata as canonical JSON text: keys in ordinal order, numbers as doubles.</summary>
    public static string ToJson(IReadOnlyDictionary<string, MetadataValue> metadata)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            Write(writer, metadata);
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Writes the metadata as a JSON object, keys in ordinal order.</summary>
    public static void Write(Utf8JsonWriter writer, IReadOnlyDictionary<string, MetadataValue> metadata)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(metadata);
        writer.WriteStartObject();
        foreach (var (key, value) in metadata.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            writer.WritePropertyName(key);
            WriteValue(writer, value);
        }
        writer.WriteEndObject();
    }

    /// <summary>Writes one value as its JSON type.</summary>
    public static void WriteValue(Utf8JsonWriter writer, MetadataValue value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        switch (value.Kind)
        {
            case MetadataKind.String: writer.WriteStringValue(value.Text); break;
            case MetadataKind.Number: writer.WriteNumberValue(value.Number); break;
            default: writer.WriteBooleanValue(value.Boolean); break;
        }
    }

    /// <summary>Checks a metadata (or filter) key: 1..128 characters, no double quote, no control characters.</summary>
    public static void CheckKey(string key, string field)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length == 0 || key.Length > MaxKeyLength || key.Any(c => c == '"' || char.IsControl(c)))
        {
            throw RetrievalException.BadRequest(
                $"'{field}' has the key \"{(key.Length > MaxKeyLength ? key[..MaxKeyLength] + "..." : key)}\"; keys must have 1..{MaxKeyLength} characters, without '\"' or control characters",
                field, "invalid_metadata");
        }
    }

    /// <summary>Reads one value: a string, a finite number or a boolean.</summary>
    public static MetadataValue ReadValue(JsonElement value, string field) => ReadValue(value, field, exactIntegers: true);

    private static MetadataValue ReadValue(JsonElement value, string field, bool exactIntegers)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                string text;
                try
                {
                    text = value.GetString()!;
                }
                catch (InvalidOperationException)
                {
                    throw RetrievalException.BadRequest($"'{field}' holds invalid UTF-16 (a lone surrogate)", field, "invalid_metadata");
                }
                if (text.Contains('\0', StringComparison.Ordinal))
                {
                    throw RetrievalException.BadRequest($"'{field}' holds U+0000; no store keeps it (PostgreSQL's jsonb cannot), so remove it", field, "invalid_metadata");
                }
                return MetadataValue.Of(text);
            case JsonValueKind.Number when value.TryGetDouble(out var number) && double.IsFinite(number):
                if (exactIntegers && IsIntegerBeyondDoubles(value.GetRawText()))
                {
                    throw RetrievalException.BadRequest(
                        $"'{field}' is the integer {value.GetRawText()}, beyond ±{MaxExactInteger}: numbers are kept as doubles, which hold integers exactly "
                        + "only up to there, so it would come back altered and match its neighbours; send it as a string", field, "invalid_metadata");
                }
                return MetadataValue.Of(number);
            case JsonValueKind.True:
                return MetadataValue.Of(true);
            case JsonValueKind.False:
                return MetadataValue.Of(false);
            default:
                throw RetrievalException.BadRequest(
                    $"'{field}' must be a string, a number or a boolean (metadata is flat), got {Describe(value)}", field, "invalid_metadata");
        }
    }

    /// <summary>Whether a JSON number is written as an integer (no fraction, no exponent): a count or an id, not a measurement.</summary>
    /// <summary>
    /// Whether a number literal is an integer beyond ±2^53, which a double (how metadata numbers are
    /// kept) cannot hold exactly: it would come back altered and match its neighbours.
    /// </summary>
    public static bool IsIntegerBeyondDoubles(string literal) =>
        literal.AsSpan().IndexOfAny('.', 'e', 'E') < 0
        && !(long.TryParse(literal, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole) && whole is >= -MaxExactInteger and <= MaxExactInteger);

    /// <summary>A property's name; an escaped lone surrogate in it cannot become a .NET string, and is the request's fault.</summary>
    private static string KeyOf(JsonProperty property, string field)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException)
        {
            throw RetrievalException.BadRequest($"'{field}' has a key holding invalid UTF-16 (a lone surrogate)", field, "invalid_metadata");
        }
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.Null => "null",
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        _ => value.ValueKind.ToString().ToLowerInvariant(),
    };
}
