namespace Sift.Retrieval.Stores.Embedded;

/// <summary>Settings of the embedded store, validated when it opens.</summary>
public sealed record EmbeddedStoreOptions
{
    /// <summary>The data directory: the SQLite database (sift.db), the saved vector indexes, and a lock file.</summary>
    public required string Directory { get; init; }

    /// <summary>The largest the database may grow; a write beyond it is refused with 503 and nothing of it is kept. Null: no limit but the disk.</summary>
    public long? MaxDatabaseBytes { get; init; }

    /// <summary>Collections with fewer chunks are searched exactly, without an HNSW index.</summary>
    public int ExactSearchMaxChunks { get; init; } = CollectionVectors.ExactSearchMaxChunks;
}
