using System.Diagnostics;
using System.Text.Json;
using Sift.Tests.Hub;

namespace Sift.Tests.Cli;

/// <summary>`sift download`, and hub ids in the other commands, as a real process configured by HF_* variables.</summary>
public sealed class CliHubTests : IAsyncLifetime
{
    private readonly DirectoryInfo _cache = Directory.CreateTempSubdirectory("sift-cli-hub-");
    private FakeHub _hub = null!;

    public async ValueTask InitializeAsync()
    {
        _hub = await FakeHub.StartAsync();
        _hub.Add("Qwen/Qwen3-Tiny-Embedding", Fixtures.EmbeddingModel);
    }

    public async ValueTask DisposeAsync()
    {
        await _hub.DisposeAsync();
        _cache.Delete(recursive: true);
    }

    [Fact]
    public async Task Download_ThenEmbedOffline_UsesTheCache()
    {
        var (code, output, error) = await RunAsync("", offline: false, "download", "Qwen/Qwen3-Tiny-Embedding");
        Assert.Equal(0, code);
        var path = output.Trim();
        Assert.StartsWith(Path.Combine(_cache.FullName, "models--Qwen--Qwen3-Tiny-Embedding", "snapshots"), path);
        Assert.Contains("sift: downloaded model.safetensors", error);
        Assert.Contains("sift: downloading model.safetensors:", error);

        _hub.Requests.Clear();
        var reference = Sift.Tests.Qwen3.ReferenceCases.Embedding.Value[3];
        var (embedCode, embedded, _) = await RunAsync(JsonSerializer.Serialize(reference.Text) + "\n", offline: true, "embed", "--model", "Qwen/Qwen3-Tiny-Embedding");
        Assert.Equal(0, embedCode);
        var vector = JsonDocument.Parse(embedded).RootElement.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        Assert.True(vector.Select((v, i) => Math.Abs(v - reference.Embedding[i])).Max() < 1e-4);
        Assert.Empty(_hub.Requests);
    }

    [Fact]
    public async Task Download_UnknownId_FailsWithOneLineNamingIt()
    {
        var (code, _, error) = await RunAsync("", offline: false, "download", "Qwen/Nope");
        Assert.Equal(1, code);
        Assert.StartsWith("sift: error:", error);
        Assert.Contains("'Qwen/Nope'", error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public async Task Serve_WithoutModels_AsksTheHubForTheDefaultPair()
    {
        var (code, _, error) = await RunAsync("", offline: true, "serve", "--port", "0");
        Assert.Equal(1, code);
        Assert.Contains("HF_HUB_OFFLINE is set and Qwen/Qwen3-Embedding-0.6B@main is not complete in the cache", error);
    }

    private async Task<(int Code, string Output, string Error)> RunAsync(string stdin, bool offline, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "Sift.Cli.dll"), .. args])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        start.Environment["HF_ENDPOINT"] = _hub.Address.ToString();
        start.Environment["HF_HUB_CACHE"] = _cache.FullName;
        start.Environment["HF_HUB_OFFLINE"] = offline ? "1" : "0";
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await output, await error);
    }
}
