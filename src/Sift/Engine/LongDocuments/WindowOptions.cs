using Sift.Abstractions;
namespace Sift.Engine.LongDocuments;

/// <summary>
/// How <see cref="LongDocumentStrategy.Chunk"/> cuts a long document: consecutive windows share
/// <see cref="Overlap"/> tokens, and one document may take at most <see cref="MaxWindows"/>.
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

    /// <summary>Tokens each window shares with the one before it; must be smaller than the window.</summary>
    public int Overlap { get; init; } = DefaultOverlap;

    /// <summary>The most windows one document may take; a longer one is refused.</summary>
    public int MaxWindows { get; init; } = DefaultMaxWindows;

    /// <summary>Answer each window's result (vector or score) and token span besides the document's.</summary>
    public bool ReturnWindows { get; init; }

    /// <summary>Checks the values that do not depend on a window's length.</summary>
    /// <exception cref="SiftRequestException">A negative overlap or fewer than one window.</exception>
    public WindowOptions Validate()
    {
        if (Overlap < 0)
        {
            throw new SiftRequestException($"window overlap {Overlap} is negative; give 0 or more tokens", "window_overlap");
        }
        if (MaxWindows < 1)
        {
            throw new SiftRequestException($"max windows {MaxWindows} is below 1", "max_windows");
        }
        return this;
    }
}
