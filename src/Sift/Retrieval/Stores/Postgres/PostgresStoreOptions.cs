namespace Sift.Retrieval.Stores.Postgres;

/// <summary>Settings of the PostgreSQL store.</summary>
public sealed record PostgresStoreOptions
{
    /// <summary>A postgres:// (or postgresql://) URL, or an Npgsql connection string (Host=...;Database=...).</summary>
    public required string ConnectionString { get; init; }
}
