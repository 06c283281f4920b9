namespace Sift.Tests;

/// <summary>Locates the shared fixtures: ../shared/fixtures beside the repository (SIFT_FIXTURES overrides).</summary>
internal static class Fixtures
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    public static string Root => RootPath.Value;

    public static string EmbeddingModel => Path.Combine(Root, "qwen3-tiny-embedding");

    public static string RerankerModel => Path.Combine(Root, "qwen3-tiny-reranker");

    public static string TokenizerGolden => Path.Combine(Root, "tokenizer-golden.json");

    /// <summary>The test project's Golden folder, copied to the output directory.</summary>
    public static string Golden(string name) => Path.Combine(AppContext.BaseDirectory, "Golden", name);

    private static string FindRoot()
    {
        var overridden = Environment.GetEnvironmentVariable("SIFT_FIXTURES");
        if (!string.IsNullOrEmpty(overridden))
        {
            return overridden;
        }
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Sift.sln")))
            {
                var candidate = Path.GetFullPath(Path.Combine(directory.FullName, "..", "shared", "fixtures"));
                if (Directory.Exists(candidate))
                {
                    return candidate;
                }
                throw new DirectoryNotFoundException($"fixtures not found at {candidate}; set SIFT_FIXTURES");
            }
        }
        throw new DirectoryNotFoundException("Sift.sln not found above the test binaries; set SIFT_FIXTURES");
    }
}
