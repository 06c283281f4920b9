using System.Numerics.Tensors;
using Npgsql;
using NpgsqlTypes;
using Sift.Retrieval.Lexical;

namespace Sift.Retrieval.Stores.Postgres;

/// <summary>The lexical side of the PostgreSQL store (<see cref="PostgresLexicalIndex"/>) and each collection's hybrid default.</summary>
public sealed partial class PostgresStore
{
    /// <summary>Catalogs written before hybrid search lack the column.</summary>
    private const string HybridColumn = "ALTER TABLE sift_collections ADD COLUMN IF NOT EXISTS hybrid boolean NOT NULL DEFAULT false";

    /// <inheritdoc />
    public async Task<IReadOnlyList<ChunkMatch>> SearchLexicalAsync(string collection, string query, float[] queryVector, int topK,
        IReadOnlyDictionary<string, MetadataValue> filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(queryVector);
        ArgumentNullException.ThrowIfNull(filter);
        return await GuardAsync<IReadOnlyList<ChunkMatch>>(async () =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            var row = await FindAsync(connection, collection, null, forUpdate: false, cancellationToken) ?? throw RetrievalException.CollectionNotFound(collection);
            CollectionModel.RequireDimensions(row.Settings, queryVector.Length);
            if (PostgresLexicalIndex.QueryText(query) is not { } terms)
            {
                return [];
            }
            await using var search = new NpgsqlCommand(PostgresLexicalIndex.SearchSql(ChunksTable(row.Id), filter.Count > 0, topK), connection);
            search.Parameters.Add(new() { Value = terms });
            if (filter.Count > 0)
            {
                search.Parameters.Add(new() { Value = DocumentMetadata.ToJson(filter), NpgsqlDbType = NpgsqlDbType.Jsonb });
            }
            var matches = new List<ChunkMatch>();
            var metadata = new Dictionary<string, IReadOnlyDictionary<string, MetadataValue>>(StringComparer.Ordinal);
            await using var reader = await search.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var json = reader.GetString(3);
                if (!metadata.TryGetValue(json, out var parsed))
                {
                    metadata[json] = parsed = DocumentMetadata.Parse(json);
                }
                // Scored like the vector stage (exact cosine from the stored vector), kept in lexical order.
                var score = TensorPrimitives.Dot(ReadVector(reader.GetValue(4)), queryVector);
                matches.Add(new ChunkMatch(reader.GetString(0), reader.GetInt32(1), reader.GetString(2), parsed, score));
            }
            return matches;
        }, _description);
    }

    /// <summary>
    /// Brings a catalog and collections written before hybrid search up to date: the hybrid column,
    /// and each chunks table's terms column, GIN index and terms (idempotent; replicas may race).
    /// </summary>
    private static async Task UpgradeLexicalAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using (var column = new NpgsqlCommand(HybridColumn, connection))
        {
            await column.ExecuteNonQueryAsync(cancellationToken);
        }
        var ids = new List<long>();
        await using (var select = new NpgsqlCommand("SELECT id FROM sift_collections", connection))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                ids.Add(reader.GetInt64(0));
            }
        }
        foreach (var id in ids)
        {
            await using (var schema = new NpgsqlCommand(PostgresLexicalIndex.Schema(ChunksTable(id)), connection))
            {
                await schema.ExecuteNonQueryAsync(cancellationToken);
            }
            await PostgresLexicalIndex.BackfillAsync(connection, ChunksTable(id), cancellationToken);
        }
    }
}
