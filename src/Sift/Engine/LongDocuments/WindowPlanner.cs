namespace Sift.Engine.LongDocuments;

/// <summary>
/// Where the windows of a long document fall, the one rule embeddings and reranking share: with
/// n content tokens and windows of W tokens, a document that fits (n ≤ W) is one window [0, n);
/// otherwise windows start at 0, s, 2s, … with step s = W − overlap, each W tokens long, and the
/// last is the first that reaches n, cut to end at n. No window is empty and no token is left out.
/// The overlap is the one asked for, else the fallback capped at W / 2 (<see cref="WindowOptions.OverlapFor"/>).
/// </summary>
public static class WindowPlanner
{
    /// <summary>The windows' spans over <paramref name="contentTokens"/> tokens, in document order.</summary>
    /// <param name="contentTokens">The document's tokens (n).</param>
    /// <param name="windowTokens">The content tokens one window holds (W): what the input limit leaves for the document.</param>
    /// <param name="options">Overlap and the most windows allowed.</param>
    /// <param name="document">The document's position in the request, for error messages.</param>
    /// <exception cref="SiftRequestException">The document needs windows and the overlap asked for is not smaller than the window, or it needs more windows than allowed.</exception>
    public static WindowSpan[] Plan(int contentTokens, int windowTokens, WindowOptions options, int document)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(contentTokens);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (windowTokens < 1)
        {
            throw new SiftRequestException(
                $"document {document}: the input limit leaves {windowTokens} tokens for the document's windows; at least 1 is needed", "input", "input_too_long");
        }
        // A document that fits is read whole, whatever the overlap: chunk mode then answers exactly what a single pass does.
        if (contentTokens <= windowTokens)
        {
            return [new WindowSpan(0, contentTokens)];
        }
        var overlap = options.OverlapFor(windowTokens);
        if (overlap >= windowTokens)
        {
            throw new SiftRequestException(
                $"document {document} has {contentTokens} tokens: window overlap {overlap} must be smaller than the window of {windowTokens} document tokens (the input limit minus what the prompt takes)",
                "window_overlap");
        }
        var step = windowTokens - overlap;
        // Windows after the first: ceil((n − W) / step), the last one the first to reach n.
        var count = 1 + (int)(((long)contentTokens - windowTokens + step - 1) / step);
        if (count > options.MaxWindows)
        {
            throw new SiftRequestException(
                $"document {document} has {contentTokens} tokens and needs {count} windows of {windowTokens} (overlap {overlap}); the limit is {options.MaxWindows} windows (--max-windows)",
                "input", "too_many_windows");
        }
        var spans = new WindowSpan[count];
        for (var k = 0; k < count; k++)
        {
            var start = k * step;
            spans[k] = new WindowSpan(start, Math.Min(start + windowTokens, contentTokens));
        }
        return spans;
    }
}
