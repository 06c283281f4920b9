using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Sift.Tests.Support;

/// <summary>
/// A real redis-server (Debian's package) on a free loopback port, with nothing saved to disk; it
/// can be killed, paused (SIGSTOP, a Redis that does not answer) and restarted on the same port.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly string _executable;
    private readonly string _directory = Directory.CreateTempSubdirectory("sift-redis-").FullName;
    private Process? _process;

    private readonly string? _password;

    private RedisServer(string executable, int port, string? password)
    {
        _executable = executable;
        Port = port;
        _password = password;
    }

    public int Port { get; }

    /// <summary>The server as sift serve's --cache takes it.</summary>
    public string CacheSpec => _password is null ? $"redis://127.0.0.1:{Port}" : $"redis://:{Uri.EscapeDataString(_password)}@127.0.0.1:{Port}";

    /// <summary>Starts one (requiring AUTH with <paramref name="password"/> if given), or skips the test (fails it under .ci/run) when redis-server is not installed.</summary>
    public static async Task<RedisServer> StartAsync(string? password = null)
    {
        var executable = RequiredService.FindExecutable("redis-server", "/usr/bin/redis-server");
        RequiredService.Require(executable is not null, "redis-server", "apt-get install redis-server");
        var server = new RedisServer(executable!, FreePort(), password);
        await server.RestartAsync();
        return server;
    }

    /// <summary>Starts redis-server again on the same port, empty, and waits until it answers.</summary>
    public async Task RestartAsync()
    {
        var start = new ProcessStartInfo(_executable,
            ["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", _directory, "--loglevel", "warning", .. (_password is null ? Array.Empty<string>() : ["--requirepass", _password])])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        _process = Process.Start(start)!;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await using var connection = await ConnectAsync();
                await connection.GetDatabase().PingAsync();
                return;
            }
            catch (RedisConnectionException) when (deadline.Elapsed < TimeSpan.FromSeconds(20) && !_process.HasExited)
            {
                await Task.Delay(20);
            }
        }
    }

    /// <summary>Kills the server (SIGKILL): connections drop, the port refuses.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            process.WaitForExit();
        }
    }

    /// <summary>SIGSTOP: the server keeps its connections and port but answers nothing, like an overloaded Redis.</summary>
    public void Pause() => Signal("-STOP");

    /// <summary>SIGCONT: answers again, the commands held meanwhile included.</summary>
    public void Resume() => Signal("-CONT");

    /// <summary>A client for checking what the server holds.</summary>
    public Task<ConnectionMultiplexer> ConnectAsync() =>
        ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
        {
            EndPoints = { $"127.0.0.1:{Port}" }, AbortOnConnectFail = true, ConnectTimeout = 2000, Password = _password,
        });

    /// <summary>How many keys the server holds (DBSIZE of database 0).</summary>
    public async Task<long> KeyCountAsync()
    {
        await using var connection = await ConnectAsync();
        return await connection.GetServer($"127.0.0.1:{Port}").DatabaseSizeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Resume();
        Kill();
        _process?.Dispose();
        await Task.Run(() => Directory.Delete(_directory, recursive: true));
    }

    private void Signal(string signal)
    {
        if (_process is { HasExited: false } process)
        {
            using var kill = Process.Start("kill", [signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
            kill.WaitForExit();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
