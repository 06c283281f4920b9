namespace Sift.Retrieval;

/// <summary>What one upsert did.</summary>
/// <param name="Upserted">Documents written (new or replaced).</param>
/// <param name="Unchanged">Documents skipped because their stored text was the same.</param>
/// <param name="Chunks">Chunks embedded and written.</param>
/// <param name="Tokens">Tokens the embedding model read.</param>
/// <param name="WriteVersion">The collection's write version after the upsert.</param>
public sealed record IndexReport(int Upserted, int Unchanged, int Chunks, int Tokens, long WriteVersion);
