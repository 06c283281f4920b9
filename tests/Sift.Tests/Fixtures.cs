namespace Sift.Tests;

/// <summary>Locates the test fixtures: tests/fixtures in this repository (SIFT_FIXTURES overrides).</summary>
internal static class Fixtures
{
    private static readonly Lazy<string> RepositoryPath = new(FindRepository);
    private static readonly Lazy<string> RootPath = new(FindRoot);

    /// <summary>The folder holding Sift.sln.</summary>
    public static string Repository => RepositoryPath.Value;

    public static string Root => RootPath.Value;

    public static string EmbeddingModel => Path.Combine(Root, "qwen3-tiny-embedding");

    public static string RerankerModel => Path.Combine(Root, "qwen3-tiny-reranker");

    public static string TokenizerGolden => Path.Combine(Root, "tokenizer-golden.json");

    /// <summary>A test-only tool kept in the repository (tests/tools), such as the independent GGUF writer.</summary>
    public static string Tool(string name) => Path.Combine(Repository, "tests", "tools", name);

    /// <summary>The test project's Golden folder, copied to the output directory.</summary>
    public static string Golden(string name) => Path.Combine(AppContext.BaseDirectory, "Golden", name);

    private static string FindRoot()
    {
        var overridden = Environment.GetEnvironmentVariable("SIFT_FIXTURES");
        if (!string.IsNullOrEmpty(overridden))
        {
            return overridden;
        }
        var candidate = Path.Combine(Repository, "tests", "fixtures");
        return Directory.Exists(candidate)
            ? candidate
            : throw new DirectoryNotFoundException($"fixtures not found at {candidate}; set SIFT_FIXTURES");
    }

    private static string FindRepository()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Sift.sln")))
            {
                return directory.FullName;
            }
        }
        throw new DirectoryNotFoundException($"Sift.sln not found above the test binaries at {AppContext.BaseDirectory}");
    }
}
