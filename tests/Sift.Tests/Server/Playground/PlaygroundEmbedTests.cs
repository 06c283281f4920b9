using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Sift.Tests.Server.Playground;

[Collection(PlaygroundCollection.Name)]
public sealed class PlaygroundEmbedTests(PlaygroundFixture fixture)
{
    private static readonly string[] Queries = ["What is the capital of China?", "中国的首都是哪里？"];
    private static readonly string[] Documents = ["The capital of China is Beijing.", "北京是中国的首都。", "Gravity is a force that attracts two bodies towards each other."];
    private const string Instruction = "Given a question, retrieve the passage that answers it";

    [Fact]
    public async Task Embed_HeatmapShowsTheCosinesOfTheApiVectors_TokenCounts_AndTheSliderRecomputesAtFewerDimensions()
    {
        await using var session = await fixture.OpenAsync("embed");
        var page = session.Page;
        var form = page.Locator("#embed-form");
        await form.Locator("[name=queries]").FillAsync(string.Join("\n", Queries));
        await form.Locator("[name=documents]").FillAsync(string.Join("\n", Documents));
        await form.Locator("[name=instruction]").FillAsync(Instruction);
        await form.GetByRole(AriaRole.Button, new() { Name = "Embed" }).ClickAsync();

        var size = Queries.Length + Documents.Length;
        var cells = page.Locator("#embed-heatmap td[data-cosine]");
        await Expect(cells).ToHaveCountAsync(size * size);
        await AssertHeatmapAsync(page, await ExpectedCosinesAsync(dimensions: null));
        await Expect(page.Locator("#embed-usage")).ToHaveAttributeAsync("data-dimensions", "64");

        // Token counts: each text's own tokens as /tokenize counts them, and the total the model saw (usage).
        var tokenized = await PlaygroundApi.PostAsync(fixture.Server, "/tokenize", new { inputs = Queries.Concat(Documents).ToArray(), add_special_tokens = false });
        var expectedTokens = tokenized.EnumerateArray().Select(t => t.GetArrayLength().ToString(CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(expectedTokens, await page.Locator("#embed-legend li").EvaluateAllAsync<string[]>("items => items.map(i => i.dataset.tokens)"));
        var usage = (await QueryEmbeddingsAsync(null)).GetProperty("usage").GetProperty("total_tokens").GetInt32()
            + (await DocumentEmbeddingsAsync(null)).GetProperty("usage").GetProperty("total_tokens").GetInt32();
        await Expect(page.Locator("#embed-usage")).ToHaveAttributeAsync("data-total-tokens", usage.ToString(CultureInfo.InvariantCulture));
        await session.ScreenshotAsync("embed-desktop");

        // The Matryoshka slider, by keyboard: Home goes to 32 dimensions and the server is asked again.
        var slider = page.Locator("#embed-dimensions");
        Assert.Equal("32", await slider.GetAttributeAsync("min"));
        Assert.Equal("64", await slider.GetAttributeAsync("max"));
        await slider.FocusAsync();
        await page.Keyboard.PressAsync("Home");
        await Expect(page.Locator("#embed-usage")).ToHaveAttributeAsync("data-dimensions", "32");
        await Expect(page.Locator("#embed-dimensions-value")).ToHaveTextAsync("32");
        await AssertHeatmapAsync(page, await ExpectedCosinesAsync(dimensions: 32));

        // Embedding again keeps the chosen size (the same texts here, so the same matrix must come back).
        await page.Locator("#embed-heatmap").EvaluateAsync("table => table.replaceChildren()");
        await form.GetByRole(AriaRole.Button, new() { Name = "Embed" }).ClickAsync();
        await Expect(cells).ToHaveCountAsync(size * size);
        await Expect(page.Locator("#embed-usage")).ToHaveAttributeAsync("data-dimensions", "32");
        await AssertHeatmapAsync(page, await ExpectedCosinesAsync(dimensions: 32));

        await session.AssertFitsPhoneAsync("embed-phone");
        session.AssertLocalAndErrorFree();
    }

    private Task<JsonElement> QueryEmbeddingsAsync(int? dimensions) =>
        PlaygroundApi.PostAsync(fixture.Server, "/v1/embeddings", new { input = Queries, instruction = Instruction, dimensions });

    private Task<JsonElement> DocumentEmbeddingsAsync(int? dimensions) =>
        PlaygroundApi.PostAsync(fixture.Server, "/v1/embeddings", new { input = Documents, input_type = "document", dimensions });

    /// <summary>The cosine of every pair (queries first, then documents), from vectors asked of the API directly.</summary>
    private async Task<double[,]> ExpectedCosinesAsync(int? dimensions)
    {
        var vectors = PlaygroundApi.Vectors(await QueryEmbeddingsAsync(dimensions)).Concat(PlaygroundApi.Vectors(await DocumentEmbeddingsAsync(dimensions))).ToArray();
        Assert.All(vectors, v => Assert.Equal(dimensions ?? 64, v.Length));
        var cosines = new double[vectors.Length, vectors.Length];
        for (var i = 0; i < vectors.Length; i++)
        {
            for (var j = 0; j < vectors.Length; j++)
            {
                cosines[i, j] = PlaygroundApi.Cosine(vectors[i], vectors[j]);
            }
        }
        return cosines;
    }

    private static async Task AssertHeatmapAsync(IPage page, double[,] expected)
    {
        var shown = await page.Locator("#embed-heatmap tbody tr").EvaluateAllAsync<string[][]>(
            "rows => rows.map(r => [...r.querySelectorAll('td')].map(c => c.dataset.cosine + '|' + c.textContent))");
        var n = expected.GetLength(0);
        Assert.Equal(n, shown.Length);
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var parts = shown[i][j].Split('|');
                Assert.Equal(expected[i, j], double.Parse(parts[0], CultureInfo.InvariantCulture), 1e-12);
                Assert.Equal(expected[i, j].ToString("F3", CultureInfo.InvariantCulture), parts[1]);
            }
        }
    }
}
