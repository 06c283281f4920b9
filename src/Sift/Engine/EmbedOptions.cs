using Sift.Abstractions;
using Sift.Engine.LongDocuments;

namespace Sift.Engine;

/// <summary>Per-request embedding settings.</summary>
public sealed record EmbedOptions
{
    /// <summary>Matryoshka size: the first N components, re-normalized; null means the model's full width.</summary>
    public int? Dimensions { get; init; }

    /// <summary>Cut inputs longer than the maximum length instead of refusing them.</summary>
    public bool Truncate { get; init; } = true;

    /// <summary>Cut long inputs at their start (keep the end) instead of at their end.</summary>
    public bool TruncateFromStart { get; init; }

    /// <summary>Maximum tokens per input, end-of-text included; null means the embedder's limit.</summary>
    public int? MaxLength { get; init; }

    /// <summary>
    /// Read documents longer than the maximum length whole, in overlapping windows whose embeddings
    /// are averaged (<see cref="LongDocumentStrategy.Chunk"/>); null: <see cref="Truncate"/> decides.
    /// Queries are never windowed: a long query is cut or refused as <see cref="Truncate"/> says.
    /// </summary>
    public WindowOptions? Windows { get; init; }

    /// <summary>Return unit vectors (the default) or the raw pooled state.</summary>
    public bool Normalize { get; init; } = true;
}
