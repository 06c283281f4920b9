using System.Text.Json;
using Sift.Server.Caching;
using Sift.Server.Errors;
using StackExchange.Redis;

namespace Sift.Server.Alerts;

/// <summary>
/// The analysis queue as a Redis stream, shared by every replica using the same Redis: XADD
/// trimmed to <see cref="LowConfidenceOptions.QueueSize"/> entries, read newest first with
/// XREVRANGE. Calls go through <see cref="RedisGuard"/>: a Redis outage loses the entry (counted), never the request.
/// </summary>
internal sealed class RedisLowConfidenceStore(RedisConnection connection, RedisGuard guard, LowConfidenceOptions options) : ILowConfidenceStore
{
    /// <summary>The stream's key; the version changes if an entry's JSON ever changes incompatibly.</summary>
    public const string StreamKey = "sift:v1:low-confidence";

    private const string EntryField = "entry";

    public async Task<LowConfidenceEntry?> AppendAsync(LowConfidenceEntry entry, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.Serialize(entry, AlertJson.Options);
        var (added, id) = await guard.TryAsync("write", async _ =>
        {
            var database = (await connection.GetAsync()).GetDatabase();
            // Exact trimming: alerts are rare, and MAXLEN ~ would not trim a small queue at all (it drops whole 100-entry nodes).
            return await database.StreamAddAsync(StreamKey, EntryField, json, maxLength: options.QueueSize, useApproximateMaxLength: false);
        }, cancellationToken);
        return added ? entry with { Id = id.ToString() } : null;
    }

    public async Task<IReadOnlyList<LowConfidenceEntry>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        var (read, entries) = await guard.TryAsync("read", async _ =>
        {
            var database = (await connection.GetAsync()).GetDatabase();
            return await database.StreamRangeAsync(StreamKey, "-", "+", limit, Order.Descending);
        }, cancellationToken);
        if (!read)
        {
            throw new ApiException(StatusCodes.Status503ServiceUnavailable,
                "the low-confidence queue is kept in Redis, which does not answer now; retry when it is back", null, "queue_unavailable");
        }
        return entries!.Select(Parse).OfType<LowConfidenceEntry>().ToArray();
    }

    /// <summary>An entry from the stream, or null when it is not one this version wrote.</summary>
    private static LowConfidenceEntry? Parse(StreamEntry entry)
    {
        var json = entry[EntryField];
        if (json.IsNullOrEmpty)
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<LowConfidenceEntry>(json.ToString(), AlertJson.Options) is { } parsed ? parsed with { Id = entry.Id.ToString() } : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
