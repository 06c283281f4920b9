using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text;
using System.Text.Json;
using Sift.Engine;
using Sift.Kernels;
using Sift.Tests.Qwen3;
using Sift.Tests.Server;

namespace Sift.Tests.Kernels;

/// <summary>
/// The kernel path: what this process runs, that the runtime's switches narrow it in a fresh
/// process (and that the fp32 paths then agree within 1e-5), and where it is reported.
/// </summary>
public sealed class KernelPathTests
{
    [Fact]
    public void Current_FollowsWhatTheRuntimeAccelerates()
    {
        var path = KernelPath.Current;
        // Never Vector512 code where the runtime does not accelerate it.
        Assert.Equal(path.VectorBits == 512, Vector512.IsHardwareAccelerated && Avx512BW.IsSupported);
        Assert.Equal(path.Name, path.VectorBits switch
        {
            512 => "avx512",
            256 => "avx2",
            _ => RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "arm64" : "vector128",
        });
        if (path.VectorBits == 256)
        {
            Assert.True(Avx2.IsSupported && Fma.IsSupported);
        }
        Assert.Equal(2 * path.VectorBits / 32, PackedMatrix.PanelWidth);
        Assert.Contains(path.Name, path.ToString());
    }

    public static TheoryData<string, string> Switches() => new()
    {
        // The switch .NET 10 honours for AVX-512 is DOTNET_EnableAVX512 (EnableAVX512F no longer does anything).
        { "DOTNET_EnableAVX512", Avx2.IsSupported && Fma.IsSupported ? "avx2" : "vector128" },
        { "DOTNET_EnableAVX2", "vector128" },
        { "DOTNET_EnableHWIntrinsic", "vector128" },
    };

    [Theory]
    [MemberData(nameof(Switches))]
    public async Task RuntimeSwitch_NarrowsTheChildsPath_AndItsFp32EmbeddingsStayWithin1e5(string variable, string expectedPath)
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            Assert.Skip("these are the runtime's x86 switches");
        }
        var (infoExit, info, infoError) = await RunCliAsync(variable, "", "info", "--model", Fixtures.EmbeddingModel, "--json");
        Assert.True(infoExit == 0, infoError);
        using var facts = JsonDocument.Parse(info);
        Assert.Equal(expectedPath, facts.RootElement.GetProperty("kernel_path").GetString());
        if (variable == "DOTNET_EnableHWIntrinsic")
        {
            Assert.Equal("software Vector128", facts.RootElement.GetProperty("kernel_instruction_set").GetString());
        }

        var texts = ReferenceCases.Embedding.Value.Take(3).Select(c => c.Text).ToArray();
        var stdin = string.Join('\n', texts.Select(t => JsonSerializer.Serialize(t))) + "\n";
        var (embedExit, embedded, embedError) = await RunCliAsync(variable, stdin, "embed", "--model", Fixtures.EmbeddingModel);
        Assert.True(embedExit == 0, embedError);
        using var embedder = Embedder.Load(new ModelOptions { Model = Fixtures.EmbeddingModel });
        var lines = embedded.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(texts.Length, lines.Length);
        for (var i = 0; i < texts.Length; i++)
        {
            using var line = JsonDocument.Parse(lines[i]);
            var theirs = line.RootElement.GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            var ours = embedder.Embed([EmbeddingInput.Document(texts[i])])[0].Vector;
            var difference = theirs.Zip(ours, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(difference <= 1e-5, $"text {i}: {expectedPath} differs from {KernelPath.Current.Name} by {difference}");
        }
    }

    [Fact]
    public async Task EmittedKernelsSwitch_RunsTheManagedTile_WithTheSameInt8EmbeddingsBitwise()
    {
        if (!Sift.Kernels.Emitted.EmittedKernels.HasVnniTile)
        {
            Assert.Skip($"no emitted int8 tile in this process (kernel path {KernelPath.Current.Name})");
        }
        var (infoExit, info, infoError) = await RunCliAsync("SIFT_EMITTED_KERNELS", "", "info", "--model", Fixtures.EmbeddingModel, "--json");
        Assert.True(infoExit == 0, infoError);
        using var facts = JsonDocument.Parse(info);
        Assert.Equal("avx512", facts.RootElement.GetProperty("kernel_path").GetString());
        Assert.DoesNotContain("emitted", facts.RootElement.GetProperty("kernel_int8").GetString());
        Assert.Equal("not in use: SIFT_EMITTED_KERNELS=0", facts.RootElement.GetProperty("kernel_emitted_int8_tile").GetString());
        Assert.Contains("emitted", KernelPath.Current.Int8);

        // The emitted tile computes the managed tile's integer sums and fp32 steps: the same bits end to end.
        var texts = ReferenceCases.Embedding.Value.Take(4).Select(c => c.Text).ToArray();
        var stdin = string.Join('\n', texts.Select(t => JsonSerializer.Serialize(t))) + "\n";
        var (embedExit, embedded, embedError) = await RunCliAsync("SIFT_EMITTED_KERNELS", stdin, "embed", "--model", Fixtures.EmbeddingModel, "--quantize", "int8");
        Assert.True(embedExit == 0, embedError);
        using var embedder = Embedder.Load(new ModelOptions { Model = Fixtures.EmbeddingModel, Quantize = WeightFormat.Int8 });
        var lines = embedded.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(texts.Length, lines.Length);
        for (var i = 0; i < texts.Length; i++)
        {
            using var line = JsonDocument.Parse(lines[i]);
            var managed = line.RootElement.GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            Assert.Equal(managed, embedder.Embed([EmbeddingInput.Document(texts[i])])[0].Vector);
        }
    }

    [Fact]
    public async Task Metrics_HaveTheKernelPathInfoSeries()
    {
        await using var server = await TestServer.StartAsync();
        var metrics = await server.Http.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        Assert.Contains("# TYPE sift_kernel_path_info gauge", metrics);
        var line = metrics.Split('\n').SingleOrDefault(l => l.StartsWith("sift_kernel_path_info{", StringComparison.Ordinal));
        Assert.NotNull(line);
        Assert.Contains($"path=\"{KernelPath.Current.Name}\"", line);
        Assert.Contains($"vector_bits=\"{KernelPath.Current.VectorBits}\"", line);
        Assert.Contains($"instruction_set=\"{KernelPath.Current.InstructionSet}\"", line);
        Assert.Contains("int8=\"", line);
        Assert.Contains("int8_a16=\"", line);
        Assert.Matches(" 1(\\.0)?( \\d+)?$", line);
    }

    [Fact]
    public async Task Serve_StartupLog_NamesTheKernelPath()
    {
        // A working directory of its own: the server opens its embedded data store there, which another
        // test's server in the same directory would hold.
        var directory = Directory.CreateTempSubdirectory("sift-kernel-path-");
        var start = CliProcess(null, "serve", "--model", Fixtures.EmbeddingModel, "--host", "127.0.0.1", "--port", "0");
        start.WorkingDirectory = directory.FullName;
        using var process = Process.Start(start)!;
        var logged = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        DataReceivedEventHandler watch = (_, e) =>
        {
            if (e.Data is { } line && line.Contains("kernel path", StringComparison.Ordinal))
            {
                logged.TrySetResult(line);
            }
        };
        process.OutputDataReceived += watch;
        process.ErrorDataReceived += watch;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var line = await logged.Task.WaitAsync(TimeSpan.FromSeconds(120), TestContext.Current.CancellationToken);
            Assert.Contains($"kernel path {KernelPath.Current.Name} ({KernelPath.Current.InstructionSet})", line);
            Assert.Contains(KernelPath.Current.Int8, line);
            Assert.Contains($"emitted int8 tile {KernelPath.Current.EmittedInt8Tile}", line);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
            directory.Delete(recursive: true);
        }
    }

    private static ProcessStartInfo CliProcess(string? switchVariable, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "Sift.Cli.dll"), .. arguments])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
        };
        if (switchVariable is not null)
        {
            start.Environment[switchVariable] = "0";
        }
        return start;
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunCliAsync(string switchVariable, string stdin, params string[] arguments)
    {
        using var process = Process.Start(CliProcess(switchVariable, arguments))!;
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromMinutes(3), TestContext.Current.CancellationToken);
        return (process.ExitCode, await output, await error);
    }
}
