using Sift.Abstractions;
using Sift.Engine.LongDocuments;

namespace Sift.Engine;

/// <summary>Per-request reranking settings.</summary>
public sealed record RerankOptions
{
    /// <summary>The task; null means <see cref="Prompts.DefaultInstruction"/>.</summary>
    public string? Instruction { get; init; }

    /// <summary>Maximum tokens per query–document pair, template included; null means the reranker's limit.</summary>
    public int? MaxLength { get; init; }

    /// <summary>
    /// Cut the body of a prompt over the maximum length from its end (the official behaviour);
    /// false refuses such a document. Ignored when <see cref="Windows"/> is set.
    /// </summary>
    public bool Truncate { get; init; } = true;

    /// <summary>
    /// Read documents too long for the prompt whole, in overlapping windows of the room the
    /// template, instruction and query leave, and keep the best window's score
    /// (<see cref="LongDocumentStrategy.Chunk"/>); null: cut the document's end (the official behaviour).
    /// </summary>
    public WindowOptions? Windows { get; init; }
}
