namespace Sift.Retrieval;

/// <summary>One document in a search's results, with its best chunk.</summary>
/// <param name="DocumentId">The document.</param>
/// <param name="Score">The best chunk's rerank score (P(yes)) when reranked, else its vector score.</param>
/// <param name="VectorScore">The best chunk's cosine similarity to the query.</param>
/// <param name="ChunkIndex">The best chunk's position in the document.</param>
/// <param name="ChunkText">The best chunk's text.</param>
/// <param name="Metadata">The document's metadata.</param>
public sealed record SearchHit(string DocumentId, float Score, float VectorScore, int ChunkIndex, string ChunkText,
    IReadOnlyDictionary<string, MetadataValue> Metadata)
{
    /// <summary>
    /// Writes the hit's members as the API names them (<c>"id", "score", "vector_score", "chunk": {"index", "text"}, "metadata"</c>)
    /// into an object the caller opened, so the HTTP response and <c>sift search</c> print one shape.
    /// </summary>
    public void WriteProperties(System.Text.Json.Utf8JsonWriter json)
    {
        ArgumentNullException.ThrowIfNull(json);
        json.WriteString("id", DocumentId);
        json.WriteNumber("score", Score);
        json.WriteNumber("vector_score", VectorScore);
        json.WriteStartObject("chunk");
        json.WriteNumber("index", ChunkIndex);
        json.WriteString("text", ChunkText);
        json.WriteEndObject();
        json.WritePropertyName("metadata");
        DocumentMetadata.Write(json, Metadata);
    }
}
