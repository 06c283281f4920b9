namespace Sift.Client;

/// <summary>How to build a new collection; null members take the server's defaults.</summary>
public sealed record SiftCollectionOptions
{
    /// <summary>Tokens per chunk (server default 512).</summary>
    public int? ChunkTokens { get; init; }

    /// <summary>Tokens consecutive chunks share (server default 64).</summary>
    public int? ChunkOverlap { get; init; }

    /// <summary>The embedding model (default: the server's one embedding model).</summary>
    public string? Model { get; init; }

    /// <summary>Matryoshka size of the vectors (default: the model's width).</summary>
    public int? Dimensions { get; init; }
}
