namespace Sift.Retrieval;

/// <summary>A chunk and its embedding, ready to store.</summary>
/// <param name="Index">Its position in the document.</param>
/// <param name="Text">Its text.</param>
/// <param name="Vector">Its unit-length embedding at the collection's dimensions.</param>
public sealed record EmbeddedChunk(int Index, string Text, float[] Vector);
