namespace Sift.Retrieval;

/// <summary>
/// Bounded queues of records kept for later analysis (the server's low-confidence rankings) in the
/// data store, so they outlive a restart: each named queue holds its newest entries only, and a
/// write is durable when its task completes. Implemented by the embedded and PostgreSQL stores.
/// </summary>
public interface IAnalysisQueue
{
    /// <summary>
    /// Appends <paramref name="record"/> to <paramref name="queue"/> and drops its oldest entries past
    /// <paramref name="maxEntries"/>, in one transaction. Returns the entry's id ("milliseconds-sequence", time-ordered).
    /// </summary>
    /// <exception cref="RetrievalException">The database cannot take the write (503).</exception>
    Task<string> AppendAsync(string queue, DateTimeOffset time, string record, int maxEntries, CancellationToken cancellationToken);

    /// <summary>The newest <paramref name="limit"/> entries of <paramref name="queue"/>, newest first.</summary>
    Task<IReadOnlyList<QueuedRecord>> ReadNewestAsync(string queue, int limit, CancellationToken cancellationToken);
}
