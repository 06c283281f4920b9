using System.Diagnostics;

namespace Sift.Tests.Support;

/// <summary>
/// Third-party JS clients (npm packages that .ci/setup.d/40-node-clients.sh installs into
/// tests/clients/node_modules; SIFT_NODE_CLIENTS names that folder when the tests run elsewhere),
/// driven by the scripts in tests/clients.
/// </summary>
internal static class NodeClients
{
    private static string Folder => Environment.GetEnvironmentVariable("SIFT_NODE_CLIENTS") is { Length: > 0 } folder
        ? folder
        : Path.Combine(Fixtures.Repository, "tests", "clients");

    /// <summary>Skips (or under CI fails) unless node and <paramref name="package"/> are installed.</summary>
    public static void Require(string package)
    {
        var node = RequiredService.FindExecutable("node", "/usr/bin/node");
        RequiredService.Require(node is not null && Directory.Exists(Path.Combine(Folder, "node_modules", package)),
            $"node with the npm package {package}", "bash .ci/setup.d/40-node-clients.sh (needs apt nodejs npm)");
    }

    /// <summary>Runs tests/clients/<paramref name="script"/> with the installed packages; returns its standard output.</summary>
    public static async Task<string> RunAsync(string script, params string[] args)
    {
        // Read from stdin with the packages' folder as the working directory, so that its imports
        // resolve there even when the tests run on a copy without node_modules.
        var start = new ProcessStartInfo("node", ["--input-type=module", "-", .. args])
        {
            WorkingDirectory = Folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(await File.ReadAllTextAsync(Path.Combine(Fixtures.Repository, "tests", "clients", script)));
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
        Assert.True(process.ExitCode == 0, $"node {script} exited {process.ExitCode}: {await error}");
        return await output;
    }
}
