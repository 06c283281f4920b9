namespace Sift.Engine.LongDocuments;

/// <summary>Content tokens [Start, End) of a document: the part one window reads.</summary>
/// <param name="Start">The first token's position in the document.</param>
/// <param name="End">One past the last token's position.</param>
public readonly record struct WindowSpan(int Start, int End)
{
    /// <summary>How many content tokens the span holds.</summary>
    public int Length => End - Start;
}
