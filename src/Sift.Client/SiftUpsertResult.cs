namespace Sift.Client;

/// <summary>What an upsert wrote (durably, once the call returns).</summary>
/// <param name="Upserted">Documents written.</param>
/// <param name="Chunks">Chunks embedded.</param>
/// <param name="WriteVersion">The collection's write version after it.</param>
/// <param name="TotalTokens">Tokens embedded.</param>
public sealed record SiftUpsertResult(int Upserted, int Chunks, long WriteVersion, int TotalTokens);
