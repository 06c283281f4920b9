namespace Sift.Retrieval;

/// <summary>A document as a collection holds it.</summary>
/// <param name="Id">The document's id.</param>
/// <param name="Text">The text as it was upserted.</param>
/// <param name="Metadata">Its metadata.</param>
/// <param name="ChunkCount">How many chunks it was split into.</param>
public sealed record StoredDocument(string Id, string Text, IReadOnlyDictionary<string, MetadataValue> Metadata, int ChunkCount);
