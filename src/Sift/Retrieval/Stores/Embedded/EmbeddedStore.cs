using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Sift.Retrieval.Lexical;

namespace Sift.Retrieval.Stores.Embedded;

/// <summary>
/// The default store: SQLite (WAL, synchronous=FULL: a write is on disk when it is acknowledged, and
/// a killed process leaves whole transactions or none) holds documents, chunks, metadata and vectors;
/// each collection's vectors are also in memory for the vector stage (<see cref="CollectionVectors"/>),
/// loaded from the database at start. One process owns a data directory at a time (a lock file).
/// </summary>
public sealed partial class EmbeddedStore : IRetrievalStore
{
    private const string DatabaseFile = "sift.db";
    private const string LockFile = "sift.lock";
    private const string IndexDirectory = "indexes";

    private readonly EmbeddedStoreOptions _options;
    private readonly ILogger _logger;
    private readonly FileStream _lock;
    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly Dictionary<string, CollectionState> _collections = new(StringComparer.Ordinal);
    private readonly Lock _catalog = new();

    private EmbeddedStore(EmbeddedStoreOptions options, ILogger logger, FileStream lockFile, string connectionString, SqliteConnection writer)
    {
        _options = options;
        _logger = logger;
        _lock = lockFile;
        _connectionString = connectionString;
        _writer = writer;
    }

    /// <inheritdoc />
    public string Description => $"embedded {Path.GetFullPath(_options.Directory)}";

    /// <summary>Opens (creating when needed) the data directory and loads every collection's vectors.</summary>
    /// <exception cref="IOException">The directory cannot be created, or another process holds it.</exception>
    public static EmbeddedStore Open(EmbeddedStoreOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        if (options.MaxDatabaseBytes is < 65536)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxDatabaseBytes, "MaxDatabaseBytes must be at least 64 KB");
        }
        Directory.CreateDirectory(options.Directory);
        FileStream lockFile;
        try
        {
            lockFile = new FileStream(Path.Combine(options.Directory, LockFile), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IOException($"{Path.GetFullPath(options.Directory)} is in use by another sift process (serve it once and reach it over HTTP, or use PostgreSQL to share data)", e);
        }
        SqliteConnection? writer = null;
        try
        {
            var connectionString = new SqliteConnectionStringBuilder
            {
                DataSource = Path.Combine(options.Directory, DatabaseFile),
                Mode = SqliteOpenMode.ReadWriteCreate,
                Pooling = true,
                DefaultTimeout = 30,
            }.ToString();
            writer = new SqliteConnection(connectionString);
            writer.Open();
            Execute(writer, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
            if (options.MaxDatabaseBytes is { } maxBytes)
            {
                var pageSize = Convert.ToInt64(Scalar(writer, "PRAGMA page_size"), CultureInfo.InvariantCulture);
                Execute(writer, $"PRAGMA max_page_count = {Math.Max(1, maxBytes / pageSize)}");
            }
            Execute(writer, Schema);
            Execute(writer, AnalysisQueueSchema);
            EnsureHybridColumn(writer);
            var store = new EmbeddedStore(options, logger, lockFile, connectionString, writer);
            store.LoadCollections();
            return store;
        }
        catch (SqliteException e)
        {
            writer?.Dispose();
            lockFile.Dispose();
            throw new IOException($"{Path.Combine(Path.GetFullPath(options.Directory), DatabaseFile)}: {e.Message}", e);
        }
        catch
        {
            writer?.Dispose();
            lockFile.Dispose();
            throw;
        }
    }

    /// <summary>Waits until no collection's index is being built (benchmarks and tests measure the built state).</summary>
    public Task WaitForIndexesAsync()
    {
        lock (_catalog)
        {
            return Task.WhenAll(_collections.Values.Select(c => c.Vectors.BuildCompletion));
        }
    }

    /// <summary>Whether the collection's searches use its HNSW index now (false: exact search).</summary>
    public bool UsesIndex(string collection) => Find(collection)?.Vectors.UsesIndex ?? false;

    /// <inheritdoc />
    public async Task<CollectionInfo> CreateCollectionAsync(CollectionSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            if (Find(settings.Name) is not null)
            {
                throw RetrievalException.Conflict($"collection '{settings.Name}' already exists", "name", "collection_exists");
            }
            var created = DateTimeOffset.UtcNow;
            var id = Guard(() =>
            {
                using var transaction = _writer.BeginTransaction();
                using var command = Command(_writer, """
                    INSERT INTO collections (name, model, dimensions, chunk_tokens, chunk_overlap, created_at, hybrid)
                    VALUES ($name, $model, $dimensions, $chunk_tokens, $chunk_overlap, $created_at, $hybrid) RETURNING id
                    """,
                    ("$name", settings.Name), ("$model", settings.Model), ("$dimensions", settings.Dimensions), ("$chunk_tokens", settings.ChunkTokens),
                    ("$chunk_overlap", settings.ChunkOverlap), ("$created_at", created.ToString("O", CultureInfo.InvariantCulture)), ("$hybrid", settings.Hybrid));
                var collectionId = Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
                SqliteLexicalIndex.Create(_writer, transaction, collectionId);
                transaction.Commit();
                return collectionId;
            });
            var state = NewState(id, settings, created, 0);
            state.Vectors.Open();
            lock (_catalog)
            {
                _collections[settings.Name] = state;
            }
            return state.Info();
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <inheritdoc />
    public Task<CollectionInfo?> FindCollectionAsync(string name, CancellationToken cancellationToken) => Task.FromResult(Find(name)?.Info());

    /// <inheritdoc />
    public Task<IReadOnlyList<CollectionInfo>> ListCollectionsAsync(CancellationToken cancellationToken)
    {
        lock (_catalog)
        {
            return Task.FromResult<IReadOnlyList<CollectionInfo>>(_collections.Values.Select(c => c.Info()).OrderBy(c => c.Name, StringComparer.Ordinal).ToArray());
        }
    }

    /// <inheritdoc />
    public async Task<bool> DeleteCollectionAsync(string name, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            if (Find(name) is not { } state)
            {
                return false;
            }
            Guard(() =>
            {
                using var transaction = _writer.BeginTransaction();
                foreach (var table in new[] { "chunks", "documents" })
                {
                    using var delete = Command(_writer, $"DELETE FROM {table} WHERE collection_id = $c", ("$c", state.Id));
                    delete.ExecuteNonQuery();
                }
                using (var delete = Command(_writer, "DELETE FROM collections WHERE id = $c", ("$c", state.Id)))
                {
                    delete.ExecuteNonQuery();
                }
                SqliteLexicalIndex.Drop(_writer, transaction, state.Id);
                transaction.Commit();
                return 0;
            });
            lock (_catalog)
            {
                _collections.Remove(name);
            }
            state.Vectors.Dispose();
            state.File.Delete();
            return true;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <inheritdoc />
    public async Task<long> UpsertAsync(CollectionSettings collection, IReadOnlyList<IndexedDocument> documents, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(documents);
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            var state = Find(collection.Name) ?? throw RetrievalException.CollectionNotFound(collection.Name);
            CollectionModel.RequireUnchanged(collection, state.Settings);
            var removed = new List<long>();
            var added = new List<(long, float[])>();
            var newDocuments = 0;
            var version = Guard(() =>
            {
                removed.Clear();
                added.Clear();
                newDocuments = 0;
                using var transaction = _writer.BeginTransaction();
                using var deleteChunks = Command(_writer, "DELETE FROM chunks WHERE collection_id = $c AND document_id = $d RETURNING id", ("$c", state.Id), ("$d", ""));
                using var upsertDocument = Command(_writer, """
                    INSERT INTO documents (collection_id, id, text, metadata, text_hash) VALUES ($c, $d, $text, $metadata, $hash)
                    ON CONFLICT (collection_id, id) DO UPDATE SET text = excluded.text, metadata = excluded.metadata, text_hash = excluded.text_hash
                    """, ("$c", state.Id), ("$d", ""), ("$text", ""), ("$metadata", ""), ("$hash", Array.Empty<byte>()));
                using var insertChunk = Command(_writer, """
                    INSERT INTO chunks (collection_id, document_id, chunk_index, text, embedding) VALUES ($c, $d, $index, $text, $embedding) RETURNING id
                    """, ("$c", state.Id), ("$d", ""), ("$index", 0), ("$text", ""), ("$embedding", Array.Empty<byte>()));
                foreach (var document in documents)
                {
                    var id = document.Document.Id;
                    deleteChunks.Parameters["$d"].Value = id;
                    var before = removed.Count;
                    using (var reader = deleteChunks.ExecuteReader())
                    {
                        while (reader.Read())
                        {
                            removed.Add(reader.GetInt64(0));
                        }
                    }
                    // Every stored document has at least one chunk: none deleted means it is new.
                    newDocuments += removed.Count == before ? 1 : 0;
                    SqliteLexicalIndex.Remove(_writer, transaction, state.Id, removed.Skip(before));
                    upsertDocument.Parameters["$d"].Value = id;
                    upsertDocument.Parameters["$text"].Value = document.Document.Text;
                    upsertDocument.Parameters["$metadata"].Value = DocumentMetadata.ToJson(document.Document.Metadata);
                    upsertDocument.Parameters["$hash"].Value = document.TextHash;
                    upsertDocument.ExecuteNonQuery();
                    foreach (var chunk in document.Chunks)
                    {
                        if (chunk.Vector.Length != state.Settings.Dimensions)
                        {
                            throw new ArgumentException($"chunk {chunk.Index} of '{id}' has {chunk.Vector.Length} dimensions; the collection has {state.Settings.Dimensions}");
                        }
                        insertChunk.Parameters["$d"].Value = id;
                        insertChunk.Parameters["$index"].Value = chunk.Index;
                        insertChunk.Parameters["$text"].Value = chunk.Text;
                        insertChunk.Parameters["$embedding"].Value = MemoryMarshal.AsBytes(chunk.Vector.AsSpan()).ToArray();
                        var chunkId = Convert.ToInt64(insertChunk.ExecuteScalar(), CultureInfo.InvariantCulture);
                        added.Add((chunkId, chunk.Vector));
                        SqliteLexicalIndex.Add(_writer, transaction, state.Id, [(chunkId, chunk.Text)]);
                    }
                }
                var next = BumpWriteVersion(state.Id);
                transaction.Commit();
                return next;
            });
            state.Vectors.Apply(removed, added, version);
            state.Committed(version, newDocuments, added.Count - removed.Count);
            return version;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <inheritdoc />
    public async Task<bool> DeleteDocumentAsync(string collection, string id, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            var state = Find(collection) ?? throw RetrievalException.CollectionNotFound(collection);
            var removed = new List<long>();
            var version = Guard(() =>
            {
                removed.Clear();
                using var transaction = _writer.BeginTransaction();
                using var deleteDocument = Command(_writer, "DELETE FROM documents WHERE collection_id = $c AND id = $d", ("$c", state.Id), ("$d", id));
                if (deleteDocument.ExecuteNonQuery() == 0)
                {
                    return -1L;
                }
                using var deleteChunks = Command(_writer, "DELETE FROM chunks WHERE collection_id = $c AND document_id = $d RETURNING id", ("$c", state.Id), ("$d", id));
                using (var reader = deleteChunks.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        removed.Add(reader.GetInt64(0));
                    }
                }
                SqliteLexicalIndex.Remove(_writer, transaction, state.Id, removed);
                var next = BumpWriteVersion(state.Id);
                transaction.Commit();
                return next;
            });
            if (version < 0)
            {
                return false;
            }
            state.Vectors.Apply(removed, [], version);
            state.Committed(version, -1, -removed.Count);
            return true;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <inheritdoc />
    public Task<StoredDocument?> GetDocumentAsync(string collection, string id, CancellationToken cancellationToken)
    {
        var state = Find(collection) ?? throw RetrievalException.CollectionNotFound(collection);
        return Task.FromResult(Read(connection =>
        {
            using var command = Command(connection, """
                SELECT text, metadata, (SELECT count(*) FROM chunks WHERE collection_id = $c AND document_id = $d)
                FROM documents WHERE collection_id = $c AND id = $d
                """, ("$c", state.Id), ("$d", id));
            using var reader = command.ExecuteReader();
            return reader.Read() ? new StoredDocument(id, reader.GetString(0), DocumentMetadata.Parse(reader.GetString(1)), reader.GetInt32(2)) : null;
        }));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> ListDocumentIdsAsync(string collection, string? after, int limit, CancellationToken cancellationToken)
    {
        var state = Find(collection) ?? throw RetrievalException.CollectionNotFound(collection);
        return Task.FromResult(Read<IReadOnlyList<string>>(connection =>
        {
            using var command = Command(connection, "SELECT id FROM documents WHERE collection_id = $c AND id > $after ORDER BY id LIMIT $limit",
                ("$c", state.Id), ("$after", after ?? ""), ("$limit", limit));
            using var reader = command.ExecuteReader();
            var ids = new List<string>();
            while (reader.Read())
            {
                ids.Add(reader.GetString(0));
            }
            return ids;
        }));
    }

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, byte[]>> GetTextHashesAsync(string collection, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var state = Find(collection) ?? throw RetrievalException.CollectionNotFound(collection);
        return Task.FromResult(Read<IReadOnlyDictionary<string, byte[]>>(connection =>
        {
            using var command = Command(connection, "SELECT id, text_hash FROM documents WHERE collection_id = $c AND id IN (SELECT value FROM json_each($ids))",
                ("$c", state.Id), ("$ids", JsonSerializer.Serialize(ids)));
            using var reader = command.ExecuteReader();
            var hashes = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            while (reader.Read())
            {
                hashes[reader.GetString(0)] = (byte[])reader.GetValue(1);
            }
            return hashes;
        }));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ChunkMatch>> SearchAsync(string collection, float[] query, int topK, IReadOnlyDictionary<string, MetadataValue> filter,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(filter);
        var state = Find(collection) ?? throw RetrievalException.CollectionNotFound(collection);
        CollectionModel.RequireDimensions(state.Settings, query.Length);
        var allowed = filter.Count == 0 ? null : Read(connection => FilteredKeys(connection, state.Id, filter));
        var hits = state.Vectors.Search(query, topK, allowed);
        return Task.FromResult<IReadOnlyList<ChunkMatch>>(Read(connection => LoadMatches(connection, hits)));
    }

    /// <summary>Saves each collection's index when it changed, then closes the database and releases the directory.</summary>
    public ValueTask DisposeAsync()
    {
        CollectionState[] states;
        lock (_catalog)
        {
            states = _collections.Values.ToArray();
            _collections.Clear();
        }
        foreach (var state in states)
        {
            try
            {
                state.Vectors.Save();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or Cloud.Unum.USearch.USearchException)
            {
                // The index is derived data: the next start rebuilds it.
                LogIndexNotSaved(_logger, state.Settings.Name, e.Message);
            }
            state.Vectors.Dispose();
        }
        _writer.Dispose();
        SqliteConnection.ClearAllPools();
        _writeGate.Dispose();
        _lock.Dispose();
        return ValueTask.CompletedTask;
    }

    private CollectionState? Find(string name)
    {
        lock (_catalog)
        {
            return _collections.GetValueOrDefault(name);
        }
    }

    private CollectionState NewState(long id, CollectionSettings settings, DateTimeOffset created, long writeVersion)
    {
        var file = new IndexFile(Path.Combine(_options.Directory, IndexDirectory), id);
        return new CollectionState(id, settings, created, file,
            new CollectionVectors(settings.Name, settings.Dimensions, writeVersion, file, _logger, _options.ExactSearchMaxChunks))
        {
            WriteVersion = writeVersion,
        };
    }

    private long BumpWriteVersion(long collectionId)
    {
        using var bump = Command(_writer, "UPDATE collections SET write_version = write_version + 1 WHERE id = $c RETURNING write_version", ("$c", collectionId));
        return Convert.ToInt64(bump.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    [LoggerMessage(EventId = 24, Level = LogLevel.Warning, Message = "collection {Collection}: its vector index was not saved ({Reason}); the next start rebuilds it")]
    private static partial void LogIndexNotSaved(ILogger logger, string collection, string reason);
}
