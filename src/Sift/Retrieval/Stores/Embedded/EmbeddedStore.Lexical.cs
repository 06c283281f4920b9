using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Sift.Retrieval.Lexical;

namespace Sift.Retrieval.Stores.Embedded;

/// <summary>
/// The lexical side of the embedded store: an FTS5 table per collection (<see cref="SqliteLexicalIndex"/>)
/// written in the same transactions as the chunks, and each collection's hybrid default.
/// </summary>
public sealed partial class EmbeddedStore
{
    /// <inheritdoc />
    public Task<IReadOnlyList<ChunkMatch>> SearchLexicalAsync(string collection, string query, float[] queryVector, int topK,
        IReadOnlyDictionary<string, MetadataValue> filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(queryVector);
        ArgumentNullException.ThrowIfNull(filter);
        var state = Find(collection) ?? throw RetrievalException.CollectionNotFound(collection);
        CollectionModel.RequireDimensions(state.Settings, queryVector.Length);
        return Task.FromResult<IReadOnlyList<ChunkMatch>>(Read(connection =>
        {
            // One snapshot for every read: a collection deleted after Find (its keyword table dropped in the same
            // commit) is either still whole in it or gone from its catalog, never half there.
            using var snapshot = connection.BeginTransaction(deferred: true);
            if (!CollectionExists(connection, state.Id))
            {
                throw RetrievalException.CollectionNotFound(collection);
            }
            var allowed = filter.Count == 0 ? null : FilteredKeys(connection, state.Id, filter);
            var hits = SqliteLexicalIndex.Search(connection, snapshot, state.Id, query, topK, allowed);
            // Scored like the vector stage (exact cosine from the in-memory vectors), kept in lexical order.
            return LoadMatches(connection, state.Vectors.Score(queryVector, hits.Select(h => h.ChunkId).ToArray()));
        }));
    }

    private static bool CollectionExists(SqliteConnection connection, long collectionId)
    {
        using var command = Command(connection, "SELECT count(*) FROM collections WHERE id = $c", ("$c", collectionId));
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) > 0;
    }

    /// <summary>Databases written before hybrid search have no hybrid column: add it (new databases get it here too).</summary>
    private static void EnsureHybridColumn(SqliteConnection connection)
    {
        using var columns = Command(connection, "SELECT count(*) FROM pragma_table_info('collections') WHERE name = 'hybrid'");
        if (Convert.ToInt64(columns.ExecuteScalar(), CultureInfo.InvariantCulture) == 0)
        {
            Execute(connection, "ALTER TABLE collections ADD COLUMN hybrid INTEGER NOT NULL DEFAULT 0");
        }
    }

    /// <summary>
    /// Creates the lexical table of a collection that has none (written before hybrid search) and
    /// fills it from the stored chunks, in one transaction.
    /// </summary>
    private void EnsureLexicalIndex(long collectionId, string collection)
    {
        if (SqliteLexicalIndex.Exists(_writer, null, collectionId))
        {
            return;
        }
        using var transaction = _writer.BeginTransaction();
        SqliteLexicalIndex.Create(_writer, transaction, collectionId);
        var chunks = new List<(long, string)>();
        using (var read = Command(_writer, "SELECT id, text FROM chunks WHERE collection_id = $c", ("$c", collectionId)))
        using (var reader = read.ExecuteReader())
        {
            while (reader.Read())
            {
                chunks.Add((reader.GetInt64(0), reader.GetString(1)));
            }
        }
        SqliteLexicalIndex.Add(_writer, transaction, collectionId, chunks);
        transaction.Commit();
        LogLexicalIndexBuilt(_logger, collection, chunks.Count);
    }

    [LoggerMessage(EventId = 25, Level = LogLevel.Information, Message = "collection {Collection}: built its lexical index from {Chunks} stored chunks")]
    private static partial void LogLexicalIndexBuilt(ILogger logger, string collection, int chunks);
}
