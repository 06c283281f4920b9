using System.Globalization;

namespace Sift.Retrieval.Stores.Embedded;

/// <summary>The analysis queues as one table of the embedded database, trimmed to each queue's bound in the append's transaction.</summary>
public sealed partial class EmbeddedStore : IAnalysisQueue
{
    private const string AnalysisQueueSchema = """
        CREATE TABLE IF NOT EXISTS analysis_queue (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            queue TEXT NOT NULL,
            time_ms INTEGER NOT NULL,
            record TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS analysis_queue_by_queue ON analysis_queue (queue, id);
        """;

    /// <inheritdoc />
    public async Task<string> AppendAsync(string queue, DateTimeOffset time, string record, int maxEntries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(record);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntries, 1);
        var milliseconds = time.ToUnixTimeMilliseconds();
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            var id = Guard(() =>
            {
                using var transaction = _writer.BeginTransaction();
                using var insert = Command(_writer, "INSERT INTO analysis_queue (queue, time_ms, record) VALUES ($q, $t, $r) RETURNING id",
                    ("$q", queue), ("$t", milliseconds), ("$r", record));
                var inserted = Convert.ToInt64(insert.ExecuteScalar(), CultureInfo.InvariantCulture);
                using var trim = Command(_writer, """
                    DELETE FROM analysis_queue WHERE queue = $q AND id <= (
                        SELECT id FROM analysis_queue WHERE queue = $q ORDER BY id DESC LIMIT 1 OFFSET $max)
                    """, ("$q", queue), ("$max", maxEntries));
                trim.ExecuteNonQuery();
                transaction.Commit();
                return inserted;
            });
            return string.Create(CultureInfo.InvariantCulture, $"{milliseconds}-{id}");
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<QueuedRecord>> ReadNewestAsync(string queue, int limit, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<QueuedRecord>>(Read(connection =>
        {
            using var select = Command(connection, "SELECT id, time_ms, record FROM analysis_queue WHERE queue = $q ORDER BY id DESC LIMIT $n",
                ("$q", queue), ("$n", limit));
            using var reader = select.ExecuteReader();
            var records = new List<QueuedRecord>();
            while (reader.Read())
            {
                records.Add(new QueuedRecord(string.Create(CultureInfo.InvariantCulture, $"{reader.GetInt64(1)}-{reader.GetInt64(0)}"), reader.GetString(2)));
            }
            return records;
        }));
}
