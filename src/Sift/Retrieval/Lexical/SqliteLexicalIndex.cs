using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Sift.Retrieval.Lexical;

/// <summary>
/// The embedded store's lexical index: one SQLite FTS5 table per collection (BM25 statistics stay
/// per collection), keyed by the chunk's row id, holding the chunk's <see cref="LexicalAnalyzer"/>
/// terms. It lives in the store's database, so it is written in the same transaction as the chunks:
/// a document is searchable by keyword exactly when it is durable. The table is contentless (the
/// chunk's text is already in the chunks table) with deletes enabled.
/// </summary>
public static class SqliteLexicalIndex
{
    /// <summary>The FTS5 table of a collection.</summary>
    public static string TableName(long collectionId) => "lexical_" + collectionId.ToString(CultureInfo.InvariantCulture);

    /// <summary>Creates the collection's table when it does not exist.</summary>
    public static void Create(SqliteConnection connection, SqliteTransaction? transaction, long collectionId) =>
        Execute(connection, transaction, $"""
            CREATE VIRTUAL TABLE IF NOT EXISTS {TableName(collectionId)} USING fts5(
                terms, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 0')
            """);

    /// <summary>Whether the collection's table exists (stores created before hybrid search fill it once at start).</summary>
    public static bool Exists(SqliteConnection connection, SqliteTransaction? transaction, long collectionId)
    {
        using var command = Command(connection, transaction, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $name");
        command.Parameters.AddWithValue("$name", TableName(collectionId));
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) > 0;
    }

    /// <summary>Drops the collection's table.</summary>
    public static void Drop(SqliteConnection connection, SqliteTransaction? transaction, long collectionId) =>
        Execute(connection, transaction, $"DROP TABLE IF EXISTS {TableName(collectionId)}");

    /// <summary>Indexes chunks under their row ids.</summary>
    public static void Add(SqliteConnection connection, SqliteTransaction? transaction, long collectionId, IEnumerable<(long ChunkId, string Text)> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        using var command = Command(connection, transaction, $"INSERT INTO {TableName(collectionId)} (rowid, terms) VALUES ($id, $terms)");
        var id = command.Parameters.Add("$id", SqliteType.Integer);
        var terms = command.Parameters.Add("$terms", SqliteType.Text);
        foreach (var (chunkId, text) in chunks)
        {
            id.Value = chunkId;
            terms.Value = LexicalAnalyzer.DocumentIndexText(text);
            command.ExecuteNonQuery();
        }
    }

    /// <summary>Removes chunks by row id (ids that are not there are ignored).</summary>
    public static void Remove(SqliteConnection connection, SqliteTransaction? transaction, long collectionId, IEnumerable<long> chunkIds)
    {
        ArgumentNullException.ThrowIfNull(chunkIds);
        using var command = Command(connection, transaction, $"DELETE FROM {TableName(collectionId)} WHERE rowid = $id");
        var id = command.Parameters.Add("$id", SqliteType.Integer);
        foreach (var chunkId in chunkIds)
        {
            id.Value = chunkId;
            command.ExecuteNonQuery();
        }
    }

    /// <summary>
    /// The <paramref name="topK"/> chunks with the best BM25 score for any of the query's terms,
    /// best first, among <paramref name="allowed"/> when given; none when the query has no terms.
    /// </summary>
    public static IReadOnlyList<LexicalHit> Search(SqliteConnection connection, SqliteTransaction? transaction, long collectionId, string query, int topK,
        IReadOnlySet<long>? allowed = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(topK, 1);
        var match = MatchExpression(LexicalAnalyzer.QueryTerms(query));
        if (match is null)
        {
            return [];
        }
        var table = TableName(collectionId);
        // FTS5's bm25() is lower for better matches; "rank" is bm25.
        // Under a filter the matches are read best first until k pass it, so no LIMIT. Ties go to the
        // older chunk, so a search is repeatable.
        using var command = Command(connection, transaction,
            $"SELECT rowid, -rank FROM {table} WHERE {table} MATCH $match ORDER BY rank, rowid{(allowed is null ? " LIMIT $k" : "")}");
        command.Parameters.AddWithValue("$match", match);
        command.Parameters.AddWithValue("$k", topK);
        using var reader = command.ExecuteReader();
        var hits = new List<LexicalHit>(topK);
        while (hits.Count < topK && reader.Read())
        {
            var chunkId = reader.GetInt64(0);
            if (allowed is null || allowed.Contains(chunkId))
            {
                hits.Add(new LexicalHit(chunkId, reader.GetDouble(1)));
            }
        }
        return hits;
    }

    /// <summary>An FTS5 query matching any term: <c>"t1" OR "t2"</c> (terms are letters and digits, so quoting is enough).</summary>
    internal static string? MatchExpression(IReadOnlyList<string> terms) =>
        terms.Count == 0 ? null : string.Join(" OR ", terms.Select(t => $"\"{t.Replace("\"", "\"\"", StringComparison.Ordinal)}\""));

    private static void Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        using var command = Command(connection, transaction, sql);
        command.ExecuteNonQuery();
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }
}
