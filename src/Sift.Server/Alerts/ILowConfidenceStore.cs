namespace Sift.Server.Alerts;

/// <summary>The analysis queue of flagged rankings: bounded, newest first.</summary>
internal interface ILowConfidenceStore
{
    /// <summary>Keeps <paramref name="entry"/> (its id is assigned here); returns it with its id, or null when the queue is unreachable.</summary>
    Task<LowConfidenceEntry?> AppendAsync(LowConfidenceEntry entry, CancellationToken cancellationToken);

    /// <summary>The newest <paramref name="limit"/> entries, newest first.</summary>
    Task<IReadOnlyList<LowConfidenceEntry>> ListAsync(int limit, CancellationToken cancellationToken);
}
