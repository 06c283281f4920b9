using System.Globalization;
using Npgsql;

namespace Sift.Retrieval.Lexical;

/// <summary>
/// The PostgreSQL store's lexical index: a <c>terms tsvector</c> column on each collection's chunks
/// table, built with <c>to_tsvector('simple', ...)</c> from the chunk's <see cref="LexicalAnalyzer"/>
/// terms (each term stays one lexeme) in the same INSERT as the chunk, with a GIN index; searched
/// with <c>@@</c> and ranked by <c>ts_rank_cd</c> (cover density).
/// </summary>
public static class PostgresLexicalIndex
{
    /// <summary>Chunks filled per statement when an older collection gets its terms.</summary>
    private const int BackfillBatch = 500;

    /// <summary>Adds the column and its index to a chunks table that lacks them (idempotent).</summary>
    public static string Schema(string chunksTable) => string.Create(CultureInfo.InvariantCulture, $"""
        ALTER TABLE {chunksTable} ADD COLUMN IF NOT EXISTS terms tsvector;
        CREATE INDEX IF NOT EXISTS {chunksTable}_terms ON {chunksTable} USING gin (terms);
        """);

    /// <summary>The SQL value of a chunk's terms, from a parameter holding <see cref="DocumentTerms"/>.</summary>
    public static string TermsValue(string parameter) => $"to_tsvector('simple', {parameter})";

    /// <summary>What the terms parameter holds for a chunk's text.</summary>
    public static string DocumentTerms(string text) => LexicalAnalyzer.DocumentIndexText(text);

    /// <summary>The tsquery text matching any of the query's terms (<c>t1 | t2</c>), or null when it has none.</summary>
    public static string? QueryText(string query)
    {
        var terms = LexicalAnalyzer.QueryTerms(query);
        return terms.Count == 0 ? null : string.Join(" | ", terms);
    }

    /// <summary>
    /// The lexical search over one chunks table: $1 is <see cref="QueryText"/>, $2 (when filtered) the
    /// metadata filter as jsonb. Returns document_id, chunk_index, text, metadata, embedding, best first.
    /// </summary>
    public static string SearchSql(string chunksTable, bool filtered, int topK) => string.Create(CultureInfo.InvariantCulture, $"""
        SELECT document_id, chunk_index, text, metadata::text, embedding FROM {chunksTable}, to_tsquery('simple', $1) AS q
        WHERE terms @@ q{(filtered ? " AND metadata @> $2" : "")}
        ORDER BY ts_rank_cd(terms, q) DESC, id LIMIT {topK}
        """);

    /// <summary>Fills the terms of chunks stored before the column existed; returns how many.</summary>
    public static async Task<int> BackfillAsync(NpgsqlConnection connection, string chunksTable, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var filled = 0;
        while (true)
        {
            var rows = new List<(long Id, string Text)>();
            await using (var select = new NpgsqlCommand($"SELECT id, text FROM {chunksTable} WHERE terms IS NULL ORDER BY id LIMIT {BackfillBatch}", connection))
            await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    rows.Add((reader.GetInt64(0), reader.GetString(1)));
                }
            }
            if (rows.Count == 0)
            {
                return filled;
            }
            await using var update = new NpgsqlCommand(
                $"UPDATE {chunksTable} AS c SET terms = {TermsValue("u.terms")} FROM unnest($1::bigint[], $2::text[]) AS u(id, terms) WHERE c.id = u.id", connection);
            update.Parameters.Add(new() { Value = rows.Select(r => r.Id).ToArray() });
            update.Parameters.Add(new() { Value = rows.Select(r => DocumentTerms(r.Text)).ToArray() });
            await update.ExecuteNonQueryAsync(cancellationToken);
            filled += rows.Count;
        }
    }
}
