namespace Sift.Training;

/// <summary>What an export wrote and what it skipped.</summary>
/// <param name="Examples">Lines written: one per (query, relevant document).</param>
/// <param name="Negatives">Hard negatives written over all lines.</param>
/// <param name="QueriesWithoutPositive">Judged queries with no document of grade ≥ 1 (nothing to train on).</param>
/// <param name="MissingPositives">Relevant documents the collection does not hold (left out).</param>
public sealed record ExportReport(int Examples, int Negatives, int QueriesWithoutPositive, int MissingPositives);
