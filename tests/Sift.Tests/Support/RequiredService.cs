namespace Sift.Tests.Support;

/// <summary>
/// Tests that need a program outside .NET (redis-server, a PostgreSQL server, Chromium, qemu) run
/// it for real. On a machine without it such a test is skipped with the reason, so
/// <c>dotnet test</c> passes on a fresh clone; under .ci/run (SIFT_REQUIRE_SERVICES=1, which
/// installs them) a missing program fails the test instead, so CI can never pass by skipping.
/// </summary>
internal static class RequiredService
{
    /// <summary>True under .ci/run: missing services are failures, not skips.</summary>
    public static bool Mandatory => Environment.GetEnvironmentVariable("SIFT_REQUIRE_SERVICES") == "1";

    /// <summary>Skips (or, under CI, fails) the calling test unless <paramref name="available"/>.</summary>
    /// <param name="available">Whether the service can be used.</param>
    /// <param name="what">What is missing, e.g. "redis-server".</param>
    /// <param name="howToGet">How to install it, e.g. "apt-get install redis-server".</param>
    public static void Require(bool available, string what, string howToGet)
    {
        if (available)
        {
            return;
        }
        var message = $"{what} is not available; install it with: {howToGet} (.ci/run does)";
        if (Mandatory)
        {
            Assert.Fail(message);
        }
        Assert.Skip(message);
    }

    /// <summary>The full path of <paramref name="program"/> on PATH or among <paramref name="candidates"/>, else null.</summary>
    public static string? FindExecutable(string program, params string[] candidates)
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, program));
        return candidates.Concat(onPath).FirstOrDefault(File.Exists);
    }
}
