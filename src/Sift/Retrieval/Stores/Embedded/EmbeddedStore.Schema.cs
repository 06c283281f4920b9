namespace Sift.Retrieval.Stores.Embedded;

public sealed partial class EmbeddedStore
{
    /// <summary>
    /// Documents are keyed by (collection, id); chunks by an ever-increasing integer (AUTOINCREMENT never
    /// reuses one), which is also the chunk's key in the vector index. Vectors are little-endian float32 blobs.
    /// </summary>
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS collections (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            model TEXT NOT NULL,
            dimensions INTEGER NOT NULL,
            chunk_tokens INTEGER NOT NULL,
            chunk_overlap INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            write_version INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE IF NOT EXISTS documents (
            collection_id INTEGER NOT NULL,
            id TEXT NOT NULL,
            text TEXT NOT NULL,
            metadata TEXT NOT NULL,
            text_hash BLOB NOT NULL,
            PRIMARY KEY (collection_id, id)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS chunks (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            collection_id INTEGER NOT NULL,
            document_id TEXT NOT NULL,
            chunk_index INTEGER NOT NULL,
            text TEXT NOT NULL,
            embedding BLOB NOT NULL);
        CREATE INDEX IF NOT EXISTS chunks_by_document ON chunks (collection_id, document_id);
        """;
}
