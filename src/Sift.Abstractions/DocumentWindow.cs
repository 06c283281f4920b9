namespace Sift.Abstractions;

/// <summary>The window of a document read in chunk mode whose score the document's result is (its best window).</summary>
/// <param name="Index">The window's position among the document's windows, from 0.</param>
/// <param name="Start">The first document token the window read (the document as the prompt holds it, after "&lt;Document&gt;:").</param>
/// <param name="End">One past the last document token the window read.</param>
/// <param name="Count">How many windows the document took.</param>
public sealed record DocumentWindow(int Index, int Start, int End, int Count);
