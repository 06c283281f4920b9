using System.Net.Sockets;
using System.Numerics.Tensors;
using Npgsql;
using NpgsqlTypes;
using Pgvector;

namespace Sift.Retrieval.Stores.Postgres;

/// <summary>
/// Collections in PostgreSQL with pgvector, shared by any number of Sift replicas. Each collection
/// has its own two tables (documents; chunks with their vector and their document's metadata, so a
/// filter and the vector order live in one table) and an HNSW index with <c>vector_cosine_ops</c>
/// (<c>halfvec</c> above 2000 dimensions, pgvector's limit for <c>vector</c> indexes). The vector
/// stage is <c>ORDER BY embedding &lt;=&gt; $1 LIMIT k</c>, the one shape that uses the index, with
/// <c>hnsw.ef_search</c> ≥ k and iterative scans under a filter; returned chunks are rescored
/// exactly from their stored vectors, so scores match the embedded store's.
/// </summary>
public sealed partial class PostgresStore : IRetrievalStore
{
    /// <summary>pgvector's HNSW limit for <c>vector</c> columns; wider vectors are stored as <c>halfvec</c>.</summary>
    public const int MaxVectorIndexDimensions = 2000;

    /// <summary>pgvector's HNSW limit for <c>halfvec</c> columns; wider collections are searched by an exact scan.</summary>
    public const int MaxHalfVectorIndexDimensions = 4000;

    /// <summary>pgvector's default ef_search; a larger top_k raises it to k for that query.</summary>
    private const int MinEfSearch = 40;

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _description;
    private readonly bool _iterativeScans;

    private PostgresStore(NpgsqlDataSource dataSource, string description, bool iterativeScans)
    {
        _dataSource = dataSource;
        _description = description;
        _iterativeScans = iterativeScans;
    }

    /// <inheritdoc />
    public string Description => _description;

    /// <summary>Connects, creates the pgvector extension and the catalog table when missing.</summary>
    /// <exception cref="RetrievalException">The database cannot be reached or refuses (503).</exception>
    public static async Task<PostgresStore> OpenAsync(PostgresStoreOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var connectionString = PostgresConnectionString.Normalize(options.ConnectionString);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var description = $"postgresql {builder.Host}:{builder.Port}/{builder.Database}";
        // The extension must exist before a data source maps its types, so it is created on a plain connection first.
        await GuardAsync(async () =>
        {
            await using var bootstrap = NpgsqlDataSource.Create(connectionString);
            await using var connection = await bootstrap.OpenConnectionAsync(cancellationToken);
            await using var command = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS vector", connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
            return 0;
        }, description);
        var sources = new NpgsqlDataSourceBuilder(connectionString);
        sources.UseVector();
        var dataSource = sources.Build();
        try
        {
            var version = await GuardAsync(async () =>
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                await using (var create = new NpgsqlCommand(CatalogSchema, connection))
                {
                    await create.ExecuteNonQueryAsync(cancellationToken);
                }
                await UpgradeLexicalAsync(connection, cancellationToken);
                await using (var queue = new NpgsqlCommand(AnalysisQueueSchema, connection))
                {
                    await queue.ExecuteNonQueryAsync(cancellationToken);
                }
                await using var query = new NpgsqlCommand("SELECT extversion FROM pg_extension WHERE extname = 'vector'", connection);
                return (string?)await query.ExecuteScalarAsync(cancellationToken) ?? "0";
            }, description);
            return new PostgresStore(dataSource, description, SupportsIterativeScans(version));
        }
        catch
        {
            await dataSource.DisposeAsync();
            throw;
        }
    }

    /// <summary>Iterative index scans (hnsw.iterative_scan) arrived in pgvector 0.8.0.</summary>
    private static bool SupportsIterativeScans(string version) =>
        Version.TryParse(version, out var parsed) && parsed >= new Version(0, 8, 0);

    /// <inheritdoc />
    public async Task<CollectionInfo> CreateCollectionAsync(CollectionSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        return await GuardAsync(async () =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var insert = new NpgsqlCommand("""
                INSERT INTO sift_collections (name, model, dimensions, chunk_tokens, chunk_overlap, hybrid) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (name) DO NOTHING RETURNING id
                """, connection, transaction);
            insert.Parameters.Add(new() { Value = settings.Name });
            insert.Parameters.Add(new() { Value = settings.Model });
            insert.Parameters.Add(new() { Value = settings.Dimensions });
            insert.Parameters.Add(new() { Value = settings.ChunkTokens });
            insert.Parameters.Add(new() { Value = settings.ChunkOverlap });
            insert.Parameters.Add(new() { Value = settings.Hybrid });
            if (await insert.ExecuteScalarAsync(cancellationToken) is not long id)
            {
                throw RetrievalException.Conflict($"collection '{settings.Name}' already exists", "name", "collection_exists");
            }
            await using (var create = new NpgsqlCommand(CollectionSchema(id, settings.Dimensions) + Lexical.PostgresLexicalIndex.Schema(ChunksTable(id)), connection, transaction))
            {
                await create.ExecuteNonQueryAsync(cancellationToken);
            }
            await transaction.CommitAsync(cancellationToken);
            return (await FindAsync(connection, settings.Name, null, forUpdate: false, cancellationToken))!.Info;
        }, _description);
    }

    /// <inheritdoc />
    public async Task<CollectionInfo?> FindCollectionAsync(string name, CancellationToken cancellationToken) =>
        await GuardAsync(async () =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            return (await FindAsync(connection, name, null, forUpdate: false, cancellationToken))?.Info;
        }, _description);

    /// <inheritdoc />
    public async Task<IReadOnlyList<CollectionInfo>> ListCollectionsAsync(CancellationToken cancellationToken) =>
        await GuardAsync<IReadOnlyList<CollectionInfo>>(async () =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var command = new NpgsqlCommand($"{SelectCollection} ORDER BY name COLLATE \"C\"", connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var collections = new List<CollectionInfo>();
            while (await reader.ReadAsync(cancellationToken))
            {
                collections.Add(ReadCollection(reader).Info);
            }
            return collections;
        }, _description);

    /// <inheritdoc />
    public async Task<bool> DeleteCollectionAsync(string name, CancellationToken cancellationToken) =>
        await GuardAsync(async () =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var delete = new NpgsqlCommand("DELETE FROM sift_collections WHERE name = $1 RETURNING id", connection, transaction);
            delete.Parameters.Add(new() { Value = name });
            if (await delete.ExecuteScalarAsync(cancellationToken) is not long id)
            {
                return false;
            }
            await using (var drop = new NpgsqlCommand($"DROP TABLE IF EXISTS {ChunksTable(id)}, {DocumentsTable(id)}", connection, transaction))
            {
                await drop.ExecuteNonQueryAsync(cancellationToken);
            }
            await transaction.CommitAsync(cancellationToken);
            return true;
        }, _description);

    /// <inheritdoc />
    public async Task<long> UpsertAsync(CollectionSettings collection, IReadOnlyList<IndexedDocument> documents, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(documents);
        return await GuardAsync(async () =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            // FOR UPDATE: writers of one collection take turns, so counts and the write version stay exact across replicas.
            var row = await FindAsync(connection, collection.Name, transaction, forUpdate: true, cancellationToken)
                ?? throw RetrievalException.CollectionNotFound(collection.Name);
            CollectionModel.RequireUnchanged(collection, row.Settings);
            var newDocuments = 0L;
            var chunkChange = 0L;
            foreach (var document in documents)
            {
                await using var batch = new NpgsqlBatch(connection, transaction);
                var deleteChunks = new NpgsqlBatchCommand($"DELETE FROM {ChunksTable(row.Id)} WHERE document_id = $1");
                deleteChunks.Parameters.Add(new() { Value = document.Document.Id });
                batch.BatchCommands.Add(deleteChunks);
                var upsert = new NpgsqlBatchCommand($"""
                    INSERT INTO {DocumentsTable(row.Id)} (id, text, metadata, text_hash) VALUES ($1, $2, $3, $4)
                    ON CONFLICT (id) DO UPDATE SET text = excluded.text, metadata = excluded.metadata, text_hash = excluded.text_hash
                    """);
                var metadata = DocumentMetadata.ToJson(document.Document.Metadata);
                upsert.Parameters.Add(new() { Value = document.Document.Id });
                upsert.Parameters.Add(new() { Value = document.Document.Text });
                upsert.Parameters.Add(new() { Value = metadata, NpgsqlDbType = NpgsqlDbType.Jsonb });
                upsert.Parameters.Add(new() { Value = document.TextHash });
                batch.BatchCommands.Add(upsert);
                foreach (var chunk in document.Chunks)
                {
                    if (chunk.Vector.Length != row.Settings.Dimensions)
                    {
                        throw new ArgumentException($"chunk {chunk.Index} of '{document.Document.Id}' has {chunk.Vector.Length} dimensions; the collection has {row.Settings.Dimensions}");
                    }
                    var insert = new NpgsqlBatchCommand($"""
                        INSERT INTO {ChunksTable(row.Id)} (document_id, chunk_index, text, metadata, embedding, terms)
                        VALUES ($1, $2, $3, $4, $5, {Lexical.PostgresLexicalIndex.TermsValue("$6")})
                        """);
                    insert.Parameters.Add(new() { Value = document.Document.Id });
                    insert.Parameters.Add(new() { Value = chunk.Index });
                    insert.Parameters.Add(new() { Value = chunk.Text });
                    insert.Parameters.Add(new() { Value = metadata, NpgsqlDbType = NpgsqlDbType.Jsonb });
                    insert.Parameters.Add(VectorParameter(chunk.Vector, row.Settings.Dimensions));
                    insert.Parameters.Add(new() { Value = Lexical.PostgresLexicalIndex.DocumentTerms(chunk.Text) });
                    batch.BatchCommands.Add(insert);
                }
                await batch.ExecuteNonQueryAsync(cancellationToken);
                var removed = deleteChunks.RecordsAffected;
                // Every stored document has at least one chunk: none deleted means it is new.
                newDocuments += removed == 0 ? 1 : 0;
                chunkChange += document.Chunks.Count - removed;
            }
            var version = await BumpAsync(connection, transaction, row.Id, newDocuments, chunkChange, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return version;
        }, _description);
    }

    /// <inheritdoc />
    public async Task<bool> DeleteDocumentAsync(string collection, string id, CancellationToken cancellationToken) =>
        await GuardAsync(async () =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var row = await FindAsync(connection, collection, transaction, forUpdate: true, cancellationToken) ?? throw RetrievalException.CollectionNotFound(collection);
            await using var batch = new NpgsqlBatch(connection, transaction);
            var deleteChunks = new NpgsqlBatchCommand($"DELETE FROM {ChunksTable(row.Id)} WHERE document_id = $1");
            deleteChunks.Parameters.Add(new() { Value = id });
            var deleteDocument = new NpgsqlBatchCommand($"DELETE FROM {DocumentsTable(row.Id)} WHERE id = $1");
            deleteDocument.Parameters.Add(new() { Value = id });
            batch.BatchCommands.Add(deleteChunks);
            batch.BatchCommands.Add(deleteDocument);
            await batch.ExecuteNonQueryAsync(cancellationToken);
            if (deleteDocument.RecordsAffected == 0)
            {
                return false;
            }
            await BumpAsync(connection, transaction, row.Id, -1, -deleteChunks.RecordsAffected, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return true;
        }, _description);

    /// <inheritdoc />
    public async Task<StoredDocument?> GetDocumentAsync(string collection, string id, CancellationToken cancellationToken) =>
        await GuardAsync(async () =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            var row = await FindAsync(connection, collection, null, forUpdate: false, cancellationToken) ?? throw RetrievalException.CollectionNotFound(collection);
            await using var command = new NpgsqlCommand(
                $"SELECT text, metadata::text, (SELECT count(*) FROM {ChunksTable(row.Id)} WHERE document_id = $1) FROM {DocumentsTable(row.Id)} WHERE id = $1", connection);
            command.Parameters.Add(new() { Value = id });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken)
                ? new StoredDocument(id, reader.GetString(0), DocumentMetadata.Parse(reader.GetString(1)), (int)reader.GetInt64(2))
                : null;
        }, _description);

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> ListDocumentIdsAsync(string collection, string? after, int limit, CancellationToken cancellationToken) =>
        await GuardAsync<IReadOnlyList<string>>(async () =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            var row = await FindAsync(connection, collection, null, forUpdate: false, cancellationToken) ?? throw RetrievalException.CollectionNotFound(collection);
            await using var command = new NpgsqlCommand(
                $"SELECT id FROM {DocumentsTable(row.Id)} WHERE id COLLATE \"C\" > $1 ORDER BY id COLLATE \"C\" LIMIT $2", connection);
            command.Parameters.Add(new() { Value = after ?? "" });
            command.Parameters.Add(new() { Value = limit });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var ids = new List<string>();
            while (await reader.ReadAsync(cancellationToken))
            {
                ids.Add(reader.GetString(0));
            }
            return ids;
        }, _description);

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, byte[]>> GetTextHashesAsync(string collection, IReadOnlyList<string> ids, CancellationToken cancellationToken) =>
        await GuardAsync<IReadOnlyDictionary<string, byte[]>>(async () =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            var row = await FindAsync(connection, collection, null, forUpdate: false, cancellationToken) ?? throw RetrievalException.CollectionNotFound(collection);
            await using var command = new NpgsqlCommand($"SELECT id, text_hash FROM {DocumentsTable(row.Id)} WHERE id = ANY($1)", connection);
            command.Parameters.Add(new() { Value = ids.ToArray() });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var hashes = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            while (await reader.ReadAsync(cancellationToken))
            {
                hashes[reader.GetString(0)] = (byte[])reader.GetValue(1);
            }
            return hashes;
        }, _description);

    /// <inheritdoc />
    public async Task<IReadOnlyList<ChunkMatch>> SearchAsync(string collection, float[] query, int topK, IReadOnlyDictionary<string, MetadataValue> filter,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(filter);
        return await GuardAsync<IReadOnlyList<ChunkMatch>>(async () =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            var row = await FindAsync(connection, collection, null, forUpdate: false, cancellationToken) ?? throw RetrievalException.CollectionNotFound(collection);
            CollectionModel.RequireDimensions(row.Settings, query.Length);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var batch = new NpgsqlBatch(connection, transaction);
            // SET LOCAL lasts for this transaction only, so a pooled connection keeps no per-query setting.
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"SET LOCAL hnsw.ef_search = {Math.Max(MinEfSearch, topK)}"));
            if (filter.Count > 0 && _iterativeScans)
            {
                // A filter drops candidates after the index scan; iterative scans keep scanning until k rows pass it.
                batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL hnsw.iterative_scan = relaxed_order"));
            }
            var search = new NpgsqlBatchCommand($"""
                SELECT document_id, chunk_index, text, metadata::text, embedding FROM {ChunksTable(row.Id)}
                {(filter.Count > 0 ? "WHERE metadata @> $2" : "")}
                ORDER BY embedding <=> $1 LIMIT {topK}
                """);
            search.Parameters.Add(VectorParameter(query, row.Settings.Dimensions));
            if (filter.Count > 0)
            {
                search.Parameters.Add(new() { Value = DocumentMetadata.ToJson(filter), NpgsqlDbType = NpgsqlDbType.Jsonb });
            }
            batch.BatchCommands.Add(search);
            var matches = new List<(ChunkMatch Match, int Rank)>();
            await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
            {
                while (!reader.HasRows && await reader.NextResultAsync(cancellationToken))
                {
                }
                var metadata = new Dictionary<string, IReadOnlyDictionary<string, MetadataValue>>(StringComparer.Ordinal);
                while (await reader.ReadAsync(cancellationToken))
                {
                    var json = reader.GetString(3);
                    if (!metadata.TryGetValue(json, out var parsed))
                    {
                        metadata[json] = parsed = DocumentMetadata.Parse(json);
                    }
                    var stored = ReadVector(reader.GetValue(4));
                    var score = TensorPrimitives.Dot(stored, query);
                    matches.Add((new ChunkMatch(reader.GetString(0), reader.GetInt32(1), reader.GetString(2), parsed, score), matches.Count));
                }
            }
            await transaction.CommitAsync(cancellationToken);
            // Relaxed-order scans may return rows slightly out of order; the exact scores decide.
            return matches.OrderByDescending(m => m.Match.Score).ThenBy(m => m.Rank).Select(m => m.Match).ToArray();
        }, _description);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private static NpgsqlParameter VectorParameter(float[] vector, int dimensions) =>
        dimensions > MaxVectorIndexDimensions
            ? new NpgsqlParameter { Value = new HalfVector(vector.Select(v => (Half)v).ToArray()) }
            : new NpgsqlParameter { Value = new Vector(vector) };

    private static float[] ReadVector(object value) => value switch
    {
        Vector vector => vector.ToArray(),
        HalfVector half => half.ToArray().Select(h => (float)h).ToArray(),
        _ => throw new InvalidOperationException($"unexpected embedding type {value.GetType().Name}"),
    };

    /// <summary>
    /// Runs database work, turning a database that cannot be reached, is shutting down or is out of
    /// space into a 503 that says so, a value it cannot hold into a 400, and a collection deleted under the
    /// request into a 404 (the transaction, if any, did not commit).
    /// </summary>
    private static async Task<T> GuardAsync<T>(Func<Task<T>> work, string description)
    {
        try
        {
            return await work();
        }
        catch (PostgresException e) when (e.SqlState.StartsWith("53", StringComparison.Ordinal) || e.SqlState.StartsWith("08", StringComparison.Ordinal)
            || e.SqlState.StartsWith("57P", StringComparison.Ordinal))
        {
            throw RetrievalException.Unavailable($"the database ({description}) cannot take this request: {e.MessageText} (SQLSTATE {e.SqlState}); nothing of it was written", e);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            // The catalog row was read, then a delete (another request or replica) dropped the collection's tables before the next statement.
            throw new RetrievalException(404, $"the collection was deleted while this request ran ({e.MessageText}); nothing of it was written",
                "name", "collection_not_found", e);
        }
        catch (PostgresException e) when (e.SqlState.StartsWith("22", StringComparison.Ordinal))
        {
            // Class 22, data exception: a value of the request the database cannot hold (U+0000 in text, say); the transaction rolled back.
            throw RetrievalException.BadRequest($"the database refused a value of this request: {e.MessageText} (SQLSTATE {e.SqlState}); nothing of it was written",
                code: "invalid_value");
        }
        catch (NpgsqlException e) when (e is not PostgresException)
        {
            throw RetrievalException.Unavailable($"the database ({description}) cannot be reached: {e.Message}; nothing of this request was written", e);
        }
        catch (SocketException e)
        {
            throw RetrievalException.Unavailable($"the database ({description}) cannot be reached: {e.Message}; nothing of this request was written", e);
        }
    }
}
