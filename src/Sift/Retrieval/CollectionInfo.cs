namespace Sift.Retrieval;

/// <summary>A collection: its settings, its size, and its write version.</summary>
/// <param name="Settings">What it is built with.</param>
/// <param name="DocumentCount">Documents it holds.</param>
/// <param name="ChunkCount">Chunks (vectors) it holds.</param>
/// <param name="WriteVersion">
/// Bumped by every committed upsert or delete: anything derived from the collection's contents
/// (a cached search result, a saved index) is current exactly while this number is unchanged.
/// </param>
/// <param name="CreatedAt">When it was created.</param>
public sealed record CollectionInfo(CollectionSettings Settings, long DocumentCount, long ChunkCount, long WriteVersion, DateTimeOffset CreatedAt)
{
    /// <summary>The collection's name.</summary>
    public string Name => Settings.Name;
}
