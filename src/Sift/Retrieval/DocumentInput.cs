namespace Sift.Retrieval;

/// <summary>A document to upsert: its id, its text, and flat metadata.</summary>
/// <param name="Id">1..<see cref="MaxIdLength"/> characters, unique in the collection.</param>
/// <param name="Text">The text; chunked and embedded.</param>
/// <param name="Metadata">Flat metadata (see <see cref="DocumentMetadata"/>).</param>
public sealed record DocumentInput(string Id, string Text, IReadOnlyDictionary<string, MetadataValue> Metadata)
{
    /// <summary>Longest document id in characters.</summary>
    public const int MaxIdLength = 256;

    /// <summary>Checks the id and text; <paramref name="field"/> names the document in errors (e.g. "documents[2]").</summary>
    /// <exception cref="RetrievalException">An empty or over-long id, or an empty text (400).</exception>
    public void Validate(string field)
    {
        CheckId(Id, $"{field}.id");
        if (string.IsNullOrEmpty(Text))
        {
            throw RetrievalException.BadRequest($"'{field}.text' is empty; a document needs text to embed", $"{field}.text", "empty_text");
        }
    }

    /// <summary>Checks a document id: 1..<see cref="MaxIdLength"/> characters, no control characters.</summary>
    public static void CheckId(string? id, string field)
    {
        if (string.IsNullOrEmpty(id))
        {
            throw RetrievalException.BadRequest($"'{field}' is empty; a document id has 1..{MaxIdLength} characters", field, "invalid_id");
        }
        if (id.Length > MaxIdLength)
        {
            throw RetrievalException.BadRequest($"'{field}' has {id.Length} characters; the limit is {MaxIdLength}", field, "invalid_id");
        }
        if (id.Any(char.IsControl))
        {
            throw RetrievalException.BadRequest($"'{field}' holds a control character; ids are printable text", field, "invalid_id");
        }
    }
}
