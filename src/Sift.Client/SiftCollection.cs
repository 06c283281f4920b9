namespace Sift.Client;

/// <summary>A collection as the server describes it.</summary>
/// <param name="Name">Its name.</param>
/// <param name="Model">The embedding model it was built with.</param>
/// <param name="Dimensions">The width of its vectors.</param>
/// <param name="ChunkTokens">Tokens per chunk.</param>
/// <param name="ChunkOverlap">Tokens consecutive chunks share.</param>
/// <param name="Documents">Documents it holds.</param>
/// <param name="Chunks">Chunks it holds.</param>
/// <param name="WriteVersion">Bumped by every upsert and delete.</param>
/// <param name="CreatedAt">When it was created.</param>
public sealed record SiftCollection(string Name, string Model, int Dimensions, int ChunkTokens, int ChunkOverlap, long Documents, long Chunks,
    long WriteVersion, DateTimeOffset CreatedAt);
