using System.Text.RegularExpressions;

namespace Sift.Retrieval;

/// <summary>
/// What a collection is built with, fixed at creation: the embedding model and the Matryoshka size
/// of its vectors (a search or upsert with another model is refused, so vectors never mix), and how
/// its documents are split into chunks.
/// </summary>
public sealed partial record CollectionSettings
{
    /// <summary>Tokens per chunk unless the collection says otherwise.</summary>
    public const int DefaultChunkTokens = 512;

    /// <summary>Tokens shared by consecutive chunks unless the collection says otherwise.</summary>
    public const int DefaultChunkOverlap = 64;

    /// <summary>The smallest chunk: shorter windows carry too little text to rank.</summary>
    public const int MinChunkTokens = 16;

    /// <summary>The largest chunk: the reranker's default pair limit is 8192 tokens, and the query and template need room.</summary>
    public const int MaxChunkTokens = 8000;

    /// <summary>Longest collection name.</summary>
    public const int MaxNameLength = 64;

    /// <summary>The collection's name: letters, digits, '_', '-' and '.', starting with a letter or digit.</summary>
    public required string Name { get; init; }

    /// <summary>The embedding model's served name.</summary>
    public required string Model { get; init; }

    /// <summary>The width of the stored vectors (Matryoshka size).</summary>
    public required int Dimensions { get; init; }

    /// <summary>Tokens per chunk.</summary>
    public int ChunkTokens { get; init; } = DefaultChunkTokens;

    /// <summary>Tokens consecutive chunks share.</summary>
    public int ChunkOverlap { get; init; } = DefaultChunkOverlap;

    /// <summary>Checks a collection name.</summary>
    /// <exception cref="RetrievalException">The name is empty, too long or has other characters (400).</exception>
    public static void CheckName(string? name, string field = "name")
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength || !NamePattern().IsMatch(name))
        {
            throw RetrievalException.BadRequest(
                $"collection name \"{name}\" is not valid: use 1..{MaxNameLength} letters, digits, '_', '-' or '.', starting with a letter or digit",
                field, "invalid_collection_name");
        }
    }

    /// <summary>Checks every setting.</summary>
    /// <exception cref="RetrievalException">A setting is out of range (400).</exception>
    public void Validate()
    {
        CheckName(Name);
        if (ChunkTokens is < MinChunkTokens or > MaxChunkTokens)
        {
            throw RetrievalException.BadRequest($"'chunk_tokens' {ChunkTokens} is outside {MinChunkTokens}..{MaxChunkTokens}", "chunk_tokens");
        }
        if (ChunkOverlap < 0 || ChunkOverlap > ChunkTokens / 2)
        {
            throw RetrievalException.BadRequest(
                $"'chunk_overlap' {ChunkOverlap} is outside 0..{ChunkTokens / 2} (at most half of chunk_tokens {ChunkTokens})", "chunk_overlap");
        }
        if (Dimensions < 1)
        {
            throw RetrievalException.BadRequest($"'dimensions' {Dimensions} must be positive", "dimensions");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    private static partial Regex NamePattern();
}
