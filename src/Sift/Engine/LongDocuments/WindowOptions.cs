using Sift.Abstractions;
namespace Sift.Engine.LongDocuments;

/// <summary>
/// How <see cref="LongDocumentStrategy.Chunk"/> cuts a long document: consecutive windows share
/// an overlap, one document may take at most <see cref="MaxWindows"/>, and one request's windows
/// may read at most <see cref="MaxTokens"/> tokens in all.
/// </summary>
public sealed record WindowOptions
{
    /// <summary>
    /// The overlap the Qwen3-Embedding guides use (the Hugging Face tokenizer's stride=1280 with
    /// max_length=32768): enough context that no sentence is read only at a window's cold start.
    /// </summary>
    public const int DefaultOverlap = 1280;

    /// <summary>
    /// Bounds the work one input can ask for: 64 windows of 8192 tokens is about 450,000 document
    /// tokens, several minutes of compute for the 0.6B model on a few CPU cores.
    /// </summary>
    public const int DefaultMaxWindows = 64;

    /// <summary>
    /// Bounds the work one request can ask for, whatever its overlap and number of inputs: 2^20
    /// tokens holds two documents at the most windows of 8192 tokens (or a 200,000-token document
    /// with room to spare), and its windows' token ids take 4 MiB.
    /// </summary>
    public const int DefaultMaxTokens = 1 << 20;

    /// <summary>
    /// The overlap asked for (a request's window_overlap); a document that needs windows is refused
    /// when it is not smaller than the window. Null: <see cref="FallbackOverlap"/>.
    /// </summary>
    public int? Overlap { get; init; }

    /// <summary>
    /// The overlap when none is asked for (the server's --window-overlap), capped at half of each
    /// window so that a short window (a small input limit, or a long rerank query) still advances.
    /// </summary>
    public int FallbackOverlap { get; init; } = DefaultOverlap;

    /// <summary>The most windows one document may take; a longer one is refused.</summary>
    public int MaxWindows { get; init; } = DefaultMaxWindows;

    /// <summary>The most tokens one request's sequences may read in all, every window counted; more is refused.</summary>
    public int MaxTokens { get; init; } = DefaultMaxTokens;

    /// <summary>Answer each window's result (vector or score) and token span besides the document's.</summary>
    public bool ReturnWindows { get; init; }

    /// <summary>Everything here a document's result depends on, for cache keys.</summary>
    public string Key => $"chunk/{(Overlap is { } overlap ? overlap.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"~{FallbackOverlap}")}/{MaxWindows}";

    /// <summary>The overlap of windows of <paramref name="windowTokens"/> tokens: the one asked for, else the fallback capped at half the window.</summary>
    public int OverlapFor(int windowTokens) => Overlap ?? Math.Min(FallbackOverlap, windowTokens / 2);

    /// <summary>Checks the values that do not depend on a window's length.</summary>
    /// <exception cref="SiftRequestException">A negative overlap, fewer than one window, or fewer than one token.</exception>
    public WindowOptions Validate()
    {
        if (Overlap < 0)
        {
            throw new SiftRequestException($"window overlap {Overlap} is negative; give 0 or more tokens", "window_overlap");
        }
        if (FallbackOverlap < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(FallbackOverlap), FallbackOverlap, "the fallback window overlap is negative; give 0 or more tokens");
        }
        if (MaxWindows < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxWindows), MaxWindows, "the most windows per document is below 1");
        }
        if (MaxTokens < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxTokens), MaxTokens, "the most tokens per request is below 1");
        }
        return this;
    }
}
