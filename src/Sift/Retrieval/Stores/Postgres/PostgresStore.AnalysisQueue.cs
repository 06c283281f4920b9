using System.Globalization;
using Npgsql;

namespace Sift.Retrieval.Stores.Postgres;

/// <summary>The analysis queues as one table, shared by every server on the database, trimmed to each queue's bound in the append's transaction.</summary>
public sealed partial class PostgresStore : IAnalysisQueue
{
    private const string AnalysisQueueSchema = """
        CREATE TABLE IF NOT EXISTS sift_analysis_queue (
            id bigserial PRIMARY KEY,
            queue text NOT NULL,
            time_ms bigint NOT NULL,
            record text NOT NULL);
        CREATE INDEX IF NOT EXISTS sift_analysis_queue_by_queue ON sift_analysis_queue (queue, id);
        """;

    /// <inheritdoc />
    public async Task<string> AppendAsync(string queue, DateTimeOffset time, string record, int maxEntries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(record);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntries, 1);
        var milliseconds = time.ToUnixTimeMilliseconds();
        var id = await GuardAsync(async () =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var insert = new NpgsqlCommand("INSERT INTO sift_analysis_queue (queue, time_ms, record) VALUES ($1, $2, $3) RETURNING id", connection, transaction);
            insert.Parameters.Add(new() { Value = queue });
            insert.Parameters.Add(new() { Value = milliseconds });
            insert.Parameters.Add(new() { Value = record });
            var inserted = (long)(await insert.ExecuteScalarAsync(cancellationToken))!;
            await using var trim = new NpgsqlCommand("""
                DELETE FROM sift_analysis_queue WHERE queue = $1 AND id <= (
                    SELECT id FROM sift_analysis_queue WHERE queue = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)
                """, connection, transaction);
            trim.Parameters.Add(new() { Value = queue });
            trim.Parameters.Add(new() { Value = (long)maxEntries });
            await trim.ExecuteNonQueryAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return inserted;
        }, _description);
        return string.Create(CultureInfo.InvariantCulture, $"{milliseconds}-{id}");
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<QueuedRecord>> ReadNewestAsync(string queue, int limit, CancellationToken cancellationToken) =>
        await GuardAsync<IReadOnlyList<QueuedRecord>>(async () =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var select = new NpgsqlCommand("SELECT id, time_ms, record FROM sift_analysis_queue WHERE queue = $1 ORDER BY id DESC LIMIT $2", connection);
            select.Parameters.Add(new() { Value = queue });
            select.Parameters.Add(new() { Value = (long)limit });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            var records = new List<QueuedRecord>();
            while (await reader.ReadAsync(cancellationToken))
            {
                records.Add(new QueuedRecord(string.Create(CultureInfo.InvariantCulture, $"{reader.GetInt64(1)}-{reader.GetInt64(0)}"), reader.GetString(2)));
            }
            return records;
        }, _description);
}
