using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Sift.Tests.Support;

/// <summary>
/// Real PostgreSQL with pgvector for the tests: PGlite's wire-protocol server (npm, installed by
/// .ci/setup.d/30-pglite.sh into .services/pglite, found through SIFT_PGLITE) on a free loopback
/// port, started once for the tests that share it and stopped with them. It serves one connection
/// at a time, so connection strings carry Maximum Pool Size=1.
/// </summary>
public sealed partial class PgliteServer : IAsyncLifetime
{
    private Process? _process;

    /// <summary>Host=...;Port=...: the database, one pooled connection.</summary>
    public string ConnectionString { get; private set; } = "";

    public int Port { get; private set; }

    private static string Directory =>
        Environment.GetEnvironmentVariable("SIFT_PGLITE") is { Length: > 0 } configured ? configured : Path.Combine(Fixtures.Repository, ".services", "pglite");

    private static string? Node => RequiredService.FindExecutable("node", "/usr/bin/node", "/usr/local/bin/node");

    private static bool Installed => Node is not null
        && File.Exists(Path.Combine(Directory, "node_modules", "@electric-sql", "pglite-pgvector", "package.json"));

    /// <summary>Skips the calling test (fails it under .ci/run) when PGlite is not installed.</summary>
    public void Require() =>
        RequiredService.Require(_process is not null, "PGlite (npm @electric-sql/pglite-socket + @electric-sql/pglite-pgvector)", "bash .ci/setup.d/30-pglite.sh");

    /// <summary>A connection string for this server with other settings (e.g. "Pooling=false").</summary>
    public string With(string settings) => $"{ConnectionString};{settings}";

    public async ValueTask InitializeAsync()
    {
        if (!Installed)
        {
            return;
        }
        // The script sits beside node_modules so that its imports resolve; the repository's copy is the one that runs.
        var script = Path.Combine(Directory, "sift-test-server.mjs");
        File.Copy(Path.Combine(Fixtures.Repository, "tests", "Sift.Tests", "Support", "pglite-server.mjs"), script, overwrite: true);
        var start = new ProcessStartInfo(Node!, [script, "0"])
        {
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        _process = Process.Start(start)!;
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginErrorReadLine();
        // PGlite compiles Postgres from WASM at start: tens of seconds on a loaded machine.
        var line = await _process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(3));
        if (line is null || ReadyLine().Match(line) is not { Success: true } match)
        {
            throw new InvalidOperationException($"PGlite did not start: {line}");
        }
        Port = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        ConnectionString = $"Host=127.0.0.1;Port={Port};Username=postgres;Password=postgres;Database=postgres;Maximum Pool Size=1;Timeout=30;Command Timeout=120";
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
    }

    [GeneratedRegex("^ready (\\d+)$")]
    private static partial Regex ReadyLine();
}

/// <summary>The tests that share one PGlite server.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PgliteServer>
{
    public const string Name = "postgres";
}
