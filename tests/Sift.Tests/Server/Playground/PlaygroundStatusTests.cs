using System.Globalization;
using static Microsoft.Playwright.Assertions;

namespace Sift.Tests.Server.Playground;

[Collection(PlaygroundCollection.Name)]
public sealed class PlaygroundStatusTests(PlaygroundFixture fixture)
{
    [Fact]
    public async Task Status_ShowsReadinessTheModelsAsListed_AndLiveMetricsEqualToMetrics()
    {
        // Some model work first, so the token counters exist.
        await PlaygroundApi.PostAsync(fixture.Server, "/v1/embeddings", new { input = new[] { "status check" } });
        await using var session = await fixture.OpenAsync("status");
        var page = session.Page;
        await Expect(page.Locator("#status-ready")).ToHaveAttributeAsync("data-status", "ready");
        await Expect(page.Locator("#status-ready")).ToHaveTextAsync("ready");

        var models = (await PlaygroundApi.GetAsync(fixture.Server, "/v1/models")).GetProperty("data").EnumerateArray().ToArray();
        var rows = page.Locator("#status-models tbody tr");
        await Expect(rows).ToHaveCountAsync(models.Length);
        foreach (var model in models)
        {
            var row = page.Locator($"#status-models tr[data-model=\"{model.GetProperty("id").GetString()}\"]");
            await Expect(row.Locator("[data-field=kind]")).ToHaveTextAsync(model.GetProperty("kind").GetString()!);
            await Expect(row.Locator("[data-field=dtype]")).ToHaveTextAsync(model.GetProperty("dtype").GetString()!);
            await Expect(row.Locator("[data-field=max_model_len]")).ToHaveTextAsync(model.GetProperty("max_model_len").GetInt32().ToString(CultureInfo.InvariantCulture));
            // What else /v1/models says (threads, limits, revision, files...) is shown too.
            await Expect(row.Locator(".more-fields")).ToContainTextAsync($"threads: {model.GetProperty("threads").GetInt32()}");
            await Expect(row.Locator("[data-field=dimensions]")).ToHaveTextAsync(
                model.TryGetProperty("dimensions", out var dimensions) ? dimensions.GetInt32().ToString(CultureInfo.InvariantCulture) : "–");
        }
        Assert.Equal(["embedding", "rerank"], models.Select(m => m.GetProperty("kind").GetString()!).ToArray());
        Assert.Equal(64, models[0].GetProperty("dimensions").GetInt32());

        // The cards read /metrics: after new model work and a refresh, they show what /metrics says.
        await PlaygroundApi.PostAsync(fixture.Server, "/v1/embeddings", new { input = new[] { "one more", "and another" } });
        var series = new[] { ("sift_tokens_processed_total", TestServer.EmbeddingName), ("sift_model_load_seconds", TestServer.EmbeddingName), ("sift_model_load_seconds", TestServer.RerankerName) };
        var metrics = await fixture.Server.Http.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        await page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Refresh" }).ClickAsync();
        foreach (var (name, model) in series)
        {
            var card = page.Locator($"#status-metrics [data-metric={name}][data-model=\"{model}\"]");
            await Expect(card).ToHaveAttributeAsync("data-value", Sample(metrics, name, model));
        }
        await Expect(page.Locator("#status-metrics [data-metric=sift_requests_total]")).ToHaveCountAsync(1);
        await session.ScreenshotAsync("status-desktop");
        await session.AssertFitsPhoneAsync("status-phone");
        session.AssertLocalAndErrorFree();
    }

    /// <summary>The value of one model's series in Prometheus text (whatever other labels it has), formatted as JavaScript prints the number.</summary>
    private static string Sample(string metrics, string name, string model)
    {
        var line = metrics.Split('\n').Single(l => l.StartsWith(name + "{", StringComparison.Ordinal) && l.Contains($"model=\"{model}\"", StringComparison.Ordinal));
        var value = double.Parse(line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        return value.ToString("R", CultureInfo.InvariantCulture);
    }
}
