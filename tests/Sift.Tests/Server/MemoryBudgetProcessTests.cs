using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Sift.Tests.Server;

/// <summary>`sift serve --max-memory` as a process: the plan it logs, the refusals it makes, and its peak resident memory under load.</summary>
public sealed class MemoryBudgetProcessTests
{
    private const long Budget = 340L << 20;

    [Fact]
    public async Task SmallBudget_SizesTheLimits_RefusesWhatCannotFit_AndPeakRssStaysUnderIt()
    {
        await using var sift = SiftProcess.Start(["serve", "--model", Fixtures.EmbeddingModel, "--reranker", Fixtures.RerankerModel, "--port", "0",
            "--max-memory", "340MB", "--payload-limit", "64KB"]);
        using var http = await sift.WaitReadyAsync();
        var plan = Regex.Match(sift.Output, "memory budget 340 MiB: .* -> --max-batch-tokens (\\d+), longest embedding input (\\d+) tokens, longest rerank prompt (\\d+) tokens");
        Assert.True(plan.Success, sift.Output);
        var tokens = int.Parse(plan.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(tokens, 256, 16383);
        Assert.Equal(tokens, int.Parse(plan.Groups[2].Value, CultureInfo.InvariantCulture));
        // The managed heap's share is enforced by the GC, as planned.
        var heap = Regex.Match(sift.Output, "managed heap at most (\\d+) MiB");
        Assert.True(heap.Success, sift.Output);
        Assert.Contains($"sift: managed heap limited to {heap.Groups[1].Value} MiB", sift.Output);

        using (var models = JsonDocument.Parse(await http.GetStringAsync("/v1/models", TestContext.Current.CancellationToken)))
        {
            var model = models.RootElement.GetProperty("data")[0];
            Assert.Equal(Budget, model.GetProperty("memory_budget").GetInt64());
            Assert.Equal(tokens, model.GetProperty("max_batch_tokens").GetInt32());
            Assert.Equal(tokens, model.GetProperty("max_model_len").GetInt32());
        }

        // One token over the longest input: 400 naming the limit. A body over the payload limit: 413.
        var tooLong = await http.PostAsJsonAsync("/v1/embeddings", new { input = new[] { Enumerable.Repeat(9707, tokens).ToArray() } },
            TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Contains($"the limit is {tokens}", await tooLong.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var tooLarge = await http.PostAsync("/v1/embeddings", new StringContent($"{{\"input\": \"{new string('a', 70_000)}\"}}",
            System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);

        // Concurrent requests at the longest admitted length, embeddings and reranks together; they
        // queue behind each other by design, so on a loaded machine they get more than the default 2 minutes.
        using var patient = new HttpClient { BaseAddress = http.BaseAddress, Timeout = TimeSpan.FromMinutes(10) };
        var random = new Random(11);
        // (One input each: a few thousand token ids already take half the 64 KB payload limit.)
        var embeds = Enumerable.Range(0, 4).Select(_ => patient.PostAsJsonAsync("/v1/embeddings",
            new { input = new[] { Enumerable.Range(0, tokens - 1).Select(_ => random.Next(100, 150_000)).ToArray() } },
            TestContext.Current.CancellationToken));
        var longText = string.Join(' ', Enumerable.Range(0, tokens).Select(i => i.ToString(CultureInfo.InvariantCulture)));
        var reranks = Enumerable.Range(0, 2).Select(_ => patient.PostAsJsonAsync("/v1/rerank",
            new { query = string.Join(' ', Enumerable.Range(0, 50).Select(i => $"q{i}")), documents = new[] { longText, "short", longText } },
            TestContext.Current.CancellationToken));
        var responses = await Task.WhenAll(embeds.Concat(reranks));
        foreach (var response in responses)
        {
            Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }

        var peak = PeakResidentBytes(sift.Id);
        Assert.True(peak <= Budget, $"peak RSS {peak >> 20} MiB exceeds the {Budget >> 20} MiB budget");
        Assert.Equal(0, await sift.TerminateAsync());
    }

    [Fact]
    public async Task BudgetTooSmall_FailsAtStartWithOneClearLine()
    {
        var (exitCode, _, error) = await Cli.CliRunner.RunAsync("", "serve", "--model", Fixtures.EmbeddingModel, "--max-memory", "100MB");
        Assert.NotEqual(0, exitCode);
        Assert.Matches("--max-memory 100 MiB is too small: .* at least \\d+ MiB is needed", error);
        Assert.DoesNotContain("   at ", error);
    }

    /// <summary>VmHWM: the most resident memory the process has had.</summary>
    private static long PeakResidentBytes(int pid) =>
        long.Parse(Regex.Match(File.ReadAllText($"/proc/{pid}/status"), "VmHWM:\\s+(\\d+) kB").Groups[1].Value, CultureInfo.InvariantCulture) * 1024;
}
