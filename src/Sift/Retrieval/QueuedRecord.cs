namespace Sift.Retrieval;

/// <summary>One entry of an <see cref="IAnalysisQueue"/>: its id and the record as it was appended.</summary>
public sealed record QueuedRecord(string Id, string Record);
