namespace Sift.Bench;

/// <summary>Where the benchmarks find the repository and its test fixtures.</summary>
internal static class BenchPaths
{
    /// <summary>tests/fixtures in the repository that holds this build.</summary>
    public static string Fixtures
    {
        get
        {
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                var candidate = Path.Combine(directory.FullName, "tests", "fixtures");
                if (File.Exists(Path.Combine(directory.FullName, "Sift.sln")) && Directory.Exists(candidate))
                {
                    return candidate;
                }
            }
            throw new ArgumentException("run from the repository (tests/fixtures), or pass --model");
        }
    }

    /// <summary>The fixture directory whose tokenizer.json is the real Qwen3 tokenizer.</summary>
    public static string Tokenizer => Path.Combine(Fixtures, "qwen3-tiny-embedding");
}
