using System.Text;
using System.Text.Json;

namespace Sift.Cli;

/// <summary>Reads and writes JSON lines: one value per line, blank lines ignored.</summary>
internal static class JsonLines
{
    /// <summary>
    /// Reads texts: each line a JSON string, or an object with a string "text" field. A bad line
    /// stops the command with a message naming the line.
    /// </summary>
    public static IEnumerable<string> ReadTexts(TextReader input)
    {
        var lineNumber = 0;
        while (input.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            yield return ParseText(line, lineNumber);
        }
    }

    /// <summary>
    /// Reads documents: each line an object {"id", "text", "metadata"?}; returns each with the bytes
    /// its line took (for progress). A bad line stops the command with a message naming the line.
    /// </summary>
    public static IEnumerable<(Retrieval.DocumentInput Document, long Bytes)> ReadDocuments(TextReader input)
    {
        var lineNumber = 0;
        while (input.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            yield return (ParseDocument(line, lineNumber), Encoding.UTF8.GetByteCount(line) + 1);
        }
    }

    private static Retrieval.DocumentInput ParseDocument(string line, int lineNumber)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new CliException($"stdin line {lineNumber}: expected an object {{\"id\", \"text\", \"metadata\"?}}, got {root.ValueKind}");
            }
            string Field(string name) => root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()!
                : throw new CliException($"stdin line {lineNumber}: \"{name}\" must be a string");
            var metadata = root.TryGetProperty("metadata", out var given) && given.ValueKind != JsonValueKind.Null
                ? Retrieval.DocumentMetadata.FromJson(given, "metadata")
                : Retrieval.DocumentMetadata.Empty;
            var parsed = new Retrieval.DocumentInput(Field("id"), Field("text"), metadata);
            parsed.Validate("document");
            return parsed;
        }
        catch (JsonException e)
        {
            throw new CliException($"stdin line {lineNumber}: not valid JSON ({e.Message})");
        }
        catch (InvalidOperationException e)
        {
            throw new CliException($"stdin line {lineNumber}: the string cannot be read ({e.Message})");
        }
        catch (Retrieval.RetrievalException e)
        {
            throw new CliException($"stdin line {lineNumber}: {e.Message}");
        }
    }

    public static void Write(TextWriter output, Action<Utf8JsonWriter> write)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            write(writer);
        }
        output.Write(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
        output.Write('\n');
    }

    /// <summary>Writes "name": [values...].</summary>
    public static void WriteNumbers<T>(Utf8JsonWriter writer, string name, IEnumerable<T> values) where T : struct
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            switch (value)
            {
                case float single: writer.WriteNumberValue(single); break;
                case int integer: writer.WriteNumberValue(integer); break;
                default: throw new ArgumentException($"cannot write {typeof(T).Name} values");
            }
        }
        writer.WriteEndArray();
    }

    private static string ParseText(string line, int lineNumber)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new CliException($"stdin line {lineNumber}: not valid JSON ({e.Message})");
        }
        using (document)
        {
            var root = document.RootElement;
            try
            {
                return root.ValueKind switch
                {
                    JsonValueKind.String => root.GetString()!,
                    JsonValueKind.Object when root.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String => text.GetString()!,
                    _ => throw new CliException($"stdin line {lineNumber}: expected a JSON string or an object with a string \"text\" field, got {root.ValueKind}"),
                };
            }
            catch (InvalidOperationException e)
            {
                throw new CliException($"stdin line {lineNumber}: the string cannot be read ({e.Message})");
            }
        }
    }
}
