using System.Text.Json;
using Sift.Retrieval;
using Sift.Server.Errors;
using Sift.Server.Retrieval;

namespace Sift.Server.Alerts;

/// <summary>
/// The analysis queue in the data store (--data) when the cache is not Redis: a bounded table of the
/// embedded database or of PostgreSQL (<see cref="IAnalysisQueue"/>), so flagged rankings outlive a
/// restart, and PostgreSQL replicas share them. A store that cannot take the write loses the entry
/// (logged), never the request.
/// </summary>
internal sealed partial class DataStoreLowConfidenceStore(RetrievalHost host, LowConfidenceOptions options, ILogger<DataStoreLowConfidenceStore> logger)
    : ILowConfidenceStore
{
    /// <summary>The queue's name in the store; the version changes if an entry's JSON ever changes incompatibly.</summary>
    public const string QueueName = "low-confidence:v1";

    public async Task<LowConfidenceEntry?> AppendAsync(LowConfidenceEntry entry, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.Serialize(entry, AlertJson.Options);
        try
        {
            // Not the request's token: a ranking flagged for a client that left is still worth keeping.
            var id = await Queue.AppendAsync(QueueName, entry.Time, json, options.QueueSize, CancellationToken.None);
            return entry with { Id = id };
        }
        catch (Exception e) when (e is RetrievalException or ApiException)
        {
            LogNotKept(logger, e.Message);
            return null;
        }
    }

    public async Task<IReadOnlyList<LowConfidenceEntry>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        var records = await Queue.ReadNewestAsync(QueueName, limit, cancellationToken);
        return records.Select(Parse).OfType<LowConfidenceEntry>().ToArray();
    }

    /// <summary>Both stores keep the queue; a store without it would be a new store that forgot to.</summary>
    private IAnalysisQueue Queue => host.Store as IAnalysisQueue
        ?? throw new InvalidOperationException($"the data store ({host.Store.Description}) keeps no analysis queue");

    /// <summary>An entry from the table, or null when it is not one this version wrote.</summary>
    private static LowConfidenceEntry? Parse(QueuedRecord record)
    {
        try
        {
            return JsonSerializer.Deserialize<LowConfidenceEntry>(record.Record, AlertJson.Options) is { } parsed ? parsed with { Id = record.Id } : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [LoggerMessage(EventId = 72, Level = LogLevel.Warning, Message = "a low-confidence ranking was not kept: the data store cannot take it ({Reason})")]
    private static partial void LogNotKept(ILogger logger, string reason);
}
