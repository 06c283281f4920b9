namespace Sift.Server.Alerts;

/// <summary>The analysis queue in process: the newest <see cref="LowConfidenceOptions.QueueSize"/> entries, lost at restart.</summary>
internal sealed class MemoryLowConfidenceStore(LowConfidenceOptions options) : ILowConfidenceStore
{
    private readonly LinkedList<LowConfidenceEntry> _entries = new();
    private readonly Lock _lock = new();
    private long _sequence;

    public Task<LowConfidenceEntry?> AppendAsync(LowConfidenceEntry entry, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            // Ids read like Redis stream ids (milliseconds-sequence), so both queues look alike to a client.
            var stored = entry with { Id = $"{entry.Time.ToUnixTimeMilliseconds()}-{_sequence++}" };
            _entries.AddFirst(stored);
            while (_entries.Count > options.QueueSize)
            {
                _entries.RemoveLast();
            }
            return Task.FromResult<LowConfidenceEntry?>(stored);
        }
    }

    public Task<IReadOnlyList<LowConfidenceEntry>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<LowConfidenceEntry>>(_entries.Take(limit).ToArray());
        }
    }
}
