namespace Sift.Engine;

/// <summary>Per-request reranking settings.</summary>
public sealed record RerankOptions
{
    /// <summary>The task; null means <see cref="Prompts.DefaultInstruction"/>.</summary>
    public string? Instruction { get; init; }

    /// <summary>Maximum tokens per query–document pair, template included; null means the reranker's limit.</summary>
    public int? MaxLength { get; init; }
}
