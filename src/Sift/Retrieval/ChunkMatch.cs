namespace Sift.Retrieval;

/// <summary>A chunk the vector stage found.</summary>
/// <param name="DocumentId">Its document.</param>
/// <param name="ChunkIndex">Its position in the document.</param>
/// <param name="Text">Its text.</param>
/// <param name="Metadata">Its document's metadata.</param>
/// <param name="Score">Cosine similarity to the query: the dot product of the two unit vectors, in float32.</param>
public sealed record ChunkMatch(string DocumentId, int ChunkIndex, string Text, IReadOnlyDictionary<string, MetadataValue> Metadata, float Score);
