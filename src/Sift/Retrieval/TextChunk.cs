namespace Sift.Retrieval;

/// <summary>One window of a document's tokens, as text.</summary>
/// <param name="Index">Its position among the document's chunks, from 0.</param>
/// <param name="Text">The document's text the window covers.</param>
/// <param name="TokenCount">Tokens in the window (the model reads one more: the appended &lt;|endoftext|&gt;).</param>
public sealed record TextChunk(int Index, string Text, int TokenCount);
