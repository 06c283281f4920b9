using Sift.Engine.LongDocuments;

namespace Sift.Engine;

/// <summary>One window of a document embedded in chunk mode.</summary>
/// <param name="Span">The document's content tokens the window read.</param>
/// <param name="Vector">The window's embedding, finished as the document's is (dimensions, normalization): what embedding these tokens alone gives.</param>
public sealed record EmbeddingWindow(WindowSpan Span, float[] Vector);
