namespace Sift.Bench;

/// <summary>Where the benchmarks find the repository and the shared fixtures beside it.</summary>
internal static class BenchPaths
{
    /// <summary>../shared/fixtures beside the repository that holds this build.</summary>
    public static string Fixtures
    {
        get
        {
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                var candidate = Path.GetFullPath(Path.Combine(directory.FullName, "..", "shared", "fixtures"));
                if (File.Exists(Path.Combine(directory.FullName, "Sift.sln")) && Directory.Exists(candidate))
                {
                    return candidate;
                }
            }
            throw new ArgumentException("run from the repository with ../shared/fixtures beside it, or pass --model");
        }
    }

    /// <summary>The fixture directory whose tokenizer.json is the real Qwen3 tokenizer.</summary>
    public static string Tokenizer => Path.Combine(Fixtures, "qwen3-tiny-embedding");
}
