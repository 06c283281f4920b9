using Sift.Engine.LongDocuments;

namespace Sift.Engine;

/// <summary>The window that gave a document read in chunk mode its score (the best of its windows).</summary>
/// <param name="Index">The window's position among the document's windows, from 0.</param>
/// <param name="Span">The document tokens the window read (the document as the prompt holds it, after "&lt;Document&gt;:").</param>
/// <param name="Count">How many windows the document took.</param>
public sealed record RerankWindow(int Index, WindowSpan Span, int Count);
