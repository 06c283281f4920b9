using Microsoft.Extensions.Logging;
using Sift.Retrieval.Stores.Embedded;
using Sift.Retrieval.Stores.Postgres;

namespace Sift.Retrieval.Stores;

/// <summary>Opens the store a <c>--data</c> value names: a PostgreSQL URL or connection string, else an embedded data directory.</summary>
public static class RetrievalStores
{
    /// <summary>Where data goes when <c>--data</c> is not given.</summary>
    public const string DefaultDirectory = "sift-data";

    /// <summary>Whether <paramref name="data"/> names a PostgreSQL database (postgres:// or postgresql:// URL, or a Host=... connection string).</summary>
    public static bool IsPostgres(string data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return data.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || data.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
            || data.Contains("Host=", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Opens the store.</summary>
    /// <param name="data">A directory, a postgres:// URL or a connection string.</param>
    /// <param name="maxDatabaseBytes">For the embedded store: the largest its database may grow.</param>
    /// <param name="logger">Where the store logs (index rebuilds and the like).</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    public static async Task<IRetrievalStore> OpenAsync(string data, long? maxDatabaseBytes, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (IsPostgres(data))
        {
            return await PostgresStore.OpenAsync(new PostgresStoreOptions { ConnectionString = data }, cancellationToken);
        }
        return EmbeddedStore.Open(new EmbeddedStoreOptions { Directory = data, MaxDatabaseBytes = maxDatabaseBytes }, logger);
    }
}
