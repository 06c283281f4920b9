namespace Sift.Retrieval;

/// <summary>
/// Where collections live: documents, chunks, metadata and vectors. A store knows nothing of models:
/// it keeps the vectors and texts it is given and finds the nearest ones. Every write is durable when
/// its task completes and bumps the collection's <see cref="CollectionInfo.WriteVersion"/>; a write
/// that fails leaves nothing behind. Failures of the database itself surface as
/// <see cref="RetrievalException"/> with status 503.
/// </summary>
public interface IRetrievalStore : IAsyncDisposable
{
    /// <summary>What the store is, for logs: "embedded /path" or "postgresql host/db".</summary>
    string Description { get; }

    /// <summary>Creates a collection; 409 when the name is taken.</summary>
    Task<CollectionInfo> CreateCollectionAsync(CollectionSettings settings, CancellationToken cancellationToken);

    /// <summary>The collection, or null when there is none of that name.</summary>
    Task<CollectionInfo?> FindCollectionAsync(string name, CancellationToken cancellationToken);

    /// <summary>Every collection, by name.</summary>
    Task<IReadOnlyList<CollectionInfo>> ListCollectionsAsync(CancellationToken cancellationToken);

    /// <summary>Deletes a collection and everything in it; false when there was none.</summary>
    Task<bool> DeleteCollectionAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Inserts or replaces documents (a replaced document's old chunks go) in one transaction: all of
    /// them are durable when this completes, or none is. Returns the collection's new write version.
    /// </summary>
    Task<long> UpsertAsync(string collection, IReadOnlyList<IndexedDocument> documents, CancellationToken cancellationToken);

    /// <summary>A document, or null.</summary>
    Task<StoredDocument?> GetDocumentAsync(string collection, string id, CancellationToken cancellationToken);

    /// <summary>Document ids in ordinal order after <paramref name="after"/>, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<string>> ListDocumentIdsAsync(string collection, string? after, int limit, CancellationToken cancellationToken);

    /// <summary>The SHA-256 of each stored document's text among <paramref name="ids"/> (absent ids are left out).</summary>
    Task<IReadOnlyDictionary<string, byte[]>> GetTextHashesAsync(string collection, IReadOnlyList<string> ids, CancellationToken cancellationToken);

    /// <summary>Deletes a document and its chunks; false when there was none.</summary>
    Task<bool> DeleteDocumentAsync(string collection, string id, CancellationToken cancellationToken);

    /// <summary>
    /// The <paramref name="topK"/> chunks nearest to <paramref name="query"/> (a unit vector at the
    /// collection's dimensions) by cosine similarity, best first, among the chunks whose document
    /// metadata equals every entry of <paramref name="filter"/> (a key no document has matches nothing).
    /// </summary>
    Task<IReadOnlyList<ChunkMatch>> SearchAsync(string collection, float[] query, int topK, IReadOnlyDictionary<string, MetadataValue> filter,
        CancellationToken cancellationToken);
}
