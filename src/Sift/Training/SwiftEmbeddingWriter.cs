using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Sift.Training;

/// <summary>Writes <see cref="SwiftEmbeddingExample"/>s as ms-swift reads them: <c>{"query", "response", "rejected_response": [...]}</c>, one per line.</summary>
public sealed class SwiftEmbeddingWriter(TextWriter output)
{
    // Chinese and other scripts stay readable in the file (ms-swift reads UTF-8 JSON either way).
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly TextWriter _output = output ?? throw new ArgumentNullException(nameof(output));

    /// <summary>Writes one example as one line.</summary>
    /// <exception cref="ArgumentException">The query or response is empty.</exception>
    public void Write(SwiftEmbeddingExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        if (string.IsNullOrWhiteSpace(example.Query) || string.IsNullOrWhiteSpace(example.Response))
        {
            throw new ArgumentException("a training example needs a non-empty query and response", nameof(example));
        }
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            json.WriteStartObject();
            json.WriteString("query", example.Query);
            json.WriteString("response", example.Response);
            json.WriteStartArray("rejected_response");
            foreach (var negative in example.RejectedResponses)
            {
                json.WriteStringValue(negative);
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        _output.Write(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
        _output.Write('\n');
    }
}
