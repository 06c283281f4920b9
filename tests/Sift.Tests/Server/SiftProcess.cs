using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Sift.Tests.Server;

/// <summary>
/// A real <c>sift serve</c> process (the built Sift.Cli, or any executable such as a published
/// single-file binary) on a free port: its address once listening, its whole output, SIGTERM.
/// </summary>
public sealed partial class SiftProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SiftProcess(ProcessStartInfo start)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) =>
        {
            Append(e.Data);
            if (e.Data is { } line && ListeningLine().Match(line) is { Success: true } match)
            {
                _listening.TrySetResult(new Uri(match.Groups[1].Value));
            }
        };
        _process.Exited += (_, _) => _listening.TrySetException(new InvalidOperationException($"sift exited before listening:\n{Output}"));
        _process.EnableRaisingEvents = true;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    /// <summary>Everything the process printed so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts the built Sift.Cli (through <c>dotnet exec</c>) with <paramref name="arguments"/>.</summary>
    public static SiftProcess Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null) =>
        StartExecutable("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "Sift.Cli.dll"), .. arguments], environment, workingDirectory);

    /// <summary>Starts any executable, e.g. a published single-file sift.</summary>
    public static SiftProcess StartExecutable(string executable, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(executable, arguments);
        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        return new SiftProcess(start);
    }

    /// <summary>Waits until the server listens and /ready answers 200; returns a client for it.</summary>
    public async Task<HttpClient> WaitReadyAsync(TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(120);
        var clock = Stopwatch.StartNew();
        var address = await _listening.Task.WaitAsync(limit, TestContext.Current.CancellationToken);
        var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(2) };
        while (!(await http.GetAsync("/ready", TestContext.Current.CancellationToken)).IsSuccessStatusCode)
        {
            if (clock.Elapsed > limit || _process.HasExited)
            {
                throw new TimeoutException($"sift did not become ready in {limit}:\n{Output}");
            }
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
        return http;
    }

    /// <summary>Sends SIGTERM and waits for the exit; returns the exit code.</summary>
    public async Task<int> TerminateAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill!.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
        await _process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private void Append(string? line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    [GeneratedRegex("listening on (http://\\S+)")]
    private static partial Regex ListeningLine();
}
