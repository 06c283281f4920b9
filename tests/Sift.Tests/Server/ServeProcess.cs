using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Sift.Tests.Server;

/// <summary>A real `sift serve` process on a free loopback port with the fixture models, its log collected.</summary>
internal sealed partial class ServeProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("sift-serve-data-");

    private ServeProcess(IEnumerable<string> flags, IReadOnlyDictionary<string, string>? environment = null)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "Sift.Cli.dll");
        var start = new ProcessStartInfo("dotnet", ["exec", cli, "serve", "--model", Fixtures.EmbeddingModel, "--reranker", Fixtures.RerankerModel,
            "--port", "0", "--host", "127.0.0.1", .. flags])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // Its own data directory: concurrent test servers must not contend for one collection store.
        start.Environment["SIFT_DATA"] = _data.FullName;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) =>
        {
            Append(e.Data);
            if (e.Data is { } line && ListeningLine().Match(line) is { Success: true } match)
            {
                _listening.TrySetResult(new Uri(match.Groups[1].Value));
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public HttpClient Http { get; private set; } = null!;

    /// <summary>Everything the process has written so far.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Starts the server with extra flags and waits until it is ready.</summary>
    public static Task<ServeProcess> StartAsync(params string[] flags) => StartAsync(new Dictionary<string, string>(), flags);

    /// <summary>Starts the server with extra environment variables and flags and waits until it is ready.</summary>
    public static async Task<ServeProcess> StartAsync(IReadOnlyDictionary<string, string> environment, params string[] flags)
    {
        var server = new ServeProcess(flags, environment);
        try
        {
            var address = await server._listening.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
            server.Http = new HttpClient { BaseAddress = address };
            await CacheTests.Eventually(async () => (await server.Http.GetAsync("/ready", TestContext.Current.CancellationToken)).IsSuccessStatusCode, seconds: 60);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Http?.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
        _data.Delete(recursive: true);
    }

    private void Append(string? line)
    {
        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    [GeneratedRegex("listening on (http://\\S+)")]
    private static partial Regex ListeningLine();
}
