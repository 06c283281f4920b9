using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Sift.Tests.Server;

namespace Sift.Tests.Packaging;

/// <summary>
/// What an operator installs: the self-contained single-file sift (published with the linux-x64
/// profile, then served, probed and stopped), and the `dotnet tool` package installed from a local
/// feed. Each builds from a copy of the sources in a temporary folder, so the repository's own
/// build output is untouched. About a minute each: they run under .ci/run (or with
/// SIFT_PACKAGING_TESTS=1) and are skipped otherwise.
/// </summary>
public sealed class PackagingTests
{
    private static bool Enabled => Support.RequiredService.Mandatory || Environment.GetEnvironmentVariable("SIFT_PACKAGING_TESTS") == "1";

    [Fact]
    public async Task SingleFileLinuxX64_ServesEmbedsReranksAndStopsOnSigterm()
    {
        Assert.SkipUnless(Enabled, "packaging tests run under .ci/run or with SIFT_PACKAGING_TESTS=1 (a minute of publishing)");
        Assert.SkipUnless(OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.X64,
            "the linux-x64 binary runs on linux-x64");
        using var sources = SourceCopy.Create();
        // ReadyToRun (on in the profile) adds minutes of compilation on a loaded 2-core machine and changes no behaviour; CI skips it.
        await RunAsync("dotnet", ["publish", "src/Sift.Cli", "-p:PublishProfile=linux-x64", "-p:PublishReadyToRun=false"], sources.Path);
        var binary = Path.Combine(sources.Path, "artifacts", "publish", "linux-x64", "sift");
        Assert.Equal(["sift"], Directory.GetFiles(Path.GetDirectoryName(binary)!).Select(Path.GetFileName));

        // Nothing beside the one file: no dotnet on PATH for it, no DOTNET_ROOT.
        var environment = new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin", ["DOTNET_ROOT"] = "/nonexistent" };
        await using var sift = SiftProcess.StartExecutable(binary, ["serve", "--model", Fixtures.EmbeddingModel, "--reranker", Fixtures.RerankerModel, "--port", "0"],
            environment);
        using var http = await sift.WaitReadyAsync();
        var embed = await http.PostAsJsonAsync("/v1/embeddings", new { input = "The capital of China is Beijing." }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, embed.StatusCode);
        using (var json = JsonDocument.Parse(await embed.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)))
        {
            Assert.Equal(64, json.RootElement.GetProperty("data")[0].GetProperty("embedding").GetArrayLength());
        }
        var rerank = await http.PostAsJsonAsync("/v1/rerank", new { query = "capital of China", documents = new[] { "Beijing.", "Gravity." } },
            TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, rerank.StatusCode);
        var probe = await RunAsync(binary, ["probe", new Uri(http.BaseAddress!, "/ready").ToString()], sources.Path, environment);
        Assert.Contains("/ready 200", probe);

        Assert.Equal(0, await sift.TerminateAsync());
        await Assert.ThrowsAsync<InvalidOperationException>(() => RunAsync(binary, ["probe", new Uri(http.BaseAddress!, "/ready").ToString()], sources.Path, environment));
    }

    [Fact]
    public async Task DotnetTool_InstallsFromALocalFeed_AndRuns()
    {
        Assert.SkipUnless(Enabled, "packaging tests run under .ci/run or with SIFT_PACKAGING_TESTS=1 (a minute of packing)");
        using var sources = SourceCopy.Create();
        var feed = Path.Combine(sources.Path, "feed");
        await RunAsync("dotnet", ["pack", "src/Sift.Cli", "-c", "Release", "-o", feed], sources.Path);
        Assert.Single(Directory.GetFiles(feed, "sift.*.nupkg"));
        // Only the local feed: a "sift" on another source can never be the one installed.
        var config = Path.Combine(sources.Path, "feed.config");
        File.WriteAllText(config, $"""<configuration><packageSources><clear /><add key="local" value="{feed}" /></packageSources></configuration>""");
        var tools = Path.Combine(sources.Path, "tools");
        await RunAsync("dotnet", ["tool", "install", "sift", "--tool-path", tools, "--configfile", config], sources.Path);

        var info = await RunAsync(Path.Combine(tools, "sift"), ["info", "--model", Fixtures.EmbeddingModel, "--json"], sources.Path);
        using var json = JsonDocument.Parse(info);
        Assert.Equal(64, json.RootElement.GetProperty("hidden_size").GetInt32());
    }

    /// <summary>Runs a program to its end; returns its output, or throws with everything it printed when it fails.</summary>
    private static async Task<string> RunAsync(string program, string[] arguments, string directory, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program, arguments) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromMinutes(15), TestContext.Current.CancellationToken);
        return process.ExitCode == 0
            ? await output
            : throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{await output}\n{await error}");
    }

    /// <summary>The files a build of src/ needs, copied to a temporary folder (deleted on dispose).</summary>
    private sealed class SourceCopy : IDisposable
    {
        private SourceCopy(string path) => Path = path;

        public string Path { get; }

        public static SourceCopy Create()
        {
            var target = Directory.CreateTempSubdirectory("sift-packaging-").FullName;
            foreach (var file in new[] { "nuget.config", "Directory.Build.props", "Directory.Packages.props", ".editorconfig" })
            {
                File.Copy(System.IO.Path.Combine(Fixtures.Repository, file), System.IO.Path.Combine(target, file));
            }
            var source = System.IO.Path.Combine(Fixtures.Repository, "src");
            foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
            {
                var relative = System.IO.Path.GetRelativePath(source, file);
                if (relative.Split(System.IO.Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
                {
                    continue;
                }
                var destination = System.IO.Path.Combine(target, "src", relative);
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(destination)!);
                File.Copy(file, destination);
            }
            return new SourceCopy(target);
        }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
