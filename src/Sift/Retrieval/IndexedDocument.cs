namespace Sift.Retrieval;

/// <summary>A document with its embedded chunks: what a store writes in one upsert.</summary>
/// <param name="Document">The document.</param>
/// <param name="TextHash">SHA-256 of its text and metadata (<see cref="DocumentIndexer.ContentHash"/>), so re-indexing can skip documents that are unchanged.</param>
/// <param name="Chunks">Its chunks, in order.</param>
public sealed record IndexedDocument(DocumentInput Document, byte[] TextHash, IReadOnlyList<EmbeddedChunk> Chunks);
