using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Sift.Tests.Server;

/// <summary>A real `sift serve` process on a free port, its output collected, stopped with SIGTERM or killed at the end.</summary>
internal sealed class ServeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServeProcess(Process process) => _process = process;

    public Uri Address { get; private set; } = null!;

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

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts `sift serve ARGS --port 0 --host 127.0.0.1` and waits until it prints its address.</summary>
    public static async Task<ServeProcess> StartAsync(params string[] args)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "Sift.Cli.dll");
        var start = new ProcessStartInfo("dotnet", ["exec", cli, "serve", .. args, "--port", "0", "--host", "127.0.0.1"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var server = new ServeProcess(Process.Start(start)!);
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Collect(string? line)
        {
            lock (server._output)
            {
                server._output.AppendLine(line);
            }
            if (line is not null && Regex.Match(line, "listening on (http://\\S+)") is { Success: true } match)
            {
                listening.TrySetResult(new Uri(match.Groups[1].Value));
            }
        }
        server._process.OutputDataReceived += (_, e) => Collect(e.Data);
        server._process.ErrorDataReceived += (_, e) => Collect(e.Data);
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        try
        {
            server.Address = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public async Task WaitReadyAsync()
    {
        using var http = new HttpClient { BaseAddress = Address };
        for (var i = 0; i < 1200 && !(await http.GetAsync("/ready", TestContext.Current.CancellationToken)).IsSuccessStatusCode; i++)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Sends SIGTERM, as a container runtime does.</summary>
    public void Terminate()
    {
        using (Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
        }
    }

    public Task WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(timeout, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
