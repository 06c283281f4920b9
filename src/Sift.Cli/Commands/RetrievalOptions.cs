using System.CommandLine;
using Sift.Retrieval.Stores;

namespace Sift.Cli.Commands;

/// <summary>The options <c>sift index</c> and <c>sift search</c> share.</summary>
internal static class RetrievalOptions
{
    public static Option<string> Data() => new("--data")
    {
        Description = $"Where collections live: a directory (embedded SQLite + HNSW, default ./{RetrievalStores.DefaultDirectory}) or a postgres:// URL / Host=... connection string.",
        DefaultValueFactory = _ => RetrievalStores.DefaultDirectory,
    };

    public static Option<string> Collection() => new("--collection", "-c") { Description = "The collection's name.", Required = true };
}
