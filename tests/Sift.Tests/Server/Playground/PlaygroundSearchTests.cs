using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Sift.Tests.Server.Playground;

[Collection(PlaygroundCollection.Name)]
public sealed class PlaygroundSearchTests(PlaygroundFixture fixture)
{
    private const string Query = "What is the capital of China?";

    /// <summary>JSON lines as a user pastes them, and one plain line (its id: a hash of its text).</summary>
    private static readonly string[] Upserts =
    [
        """{"id": "beijing", "text": "Beijing is the capital of China and its political centre.", "metadata": {"lang": "en", "topic": "geo"}}""",
        """{"id": "gravity", "text": "Gravity is a force that attracts two bodies towards each other.", "metadata": {"lang": "en", "topic": "physics"}}""",
        """{"id": "shanghai", "text": "上海是中国最大的城市，也是重要的金融中心。", "metadata": {"lang": "zh", "topic": "geo"}}""",
        """{"id": "paris", "text": "Paris is the capital and most populous city of France.", "metadata": {"lang": "en", "topic": "geo"}}""",
        "Plants turn light, water and carbon dioxide into sugar and oxygen.",
    ];

    [Fact]
    public async Task Search_CreateUpsertAndSearch_ShowTheApisResults_RerankedOrNot_Filtered_AndErrorsInWords()
    {
        var name = $"pg{Guid.NewGuid():N}"[..12];
        await using var session = await fixture.OpenAsync("search");
        var page = session.Page;
        var manage = page.Locator("#search-manage");
        if (!await manage.EvaluateAsync<bool>("d => d.open"))
        {
            await manage.Locator("summary").ClickAsync();
        }

        // Create a collection and add documents from the page.
        await page.Locator("#collection-form [name=name]").FillAsync(name);
        await page.Locator("#collection-form").GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
        await Expect(page.Locator(".message[data-for=manage]")).ToHaveTextAsync($"Created the collection “{name}”.");
        await Expect(page.Locator("#search-collection")).ToHaveValueAsync(name);
        await page.Locator("#upsert-form [name=documents]").FillAsync(string.Join("\n", Upserts));
        await page.Locator("#upsert-form").GetByRole(AriaRole.Button, new() { Name = "Add documents" }).ClickAsync();
        await Expect(page.Locator(".message[data-for=manage]")).ToHaveTextAsync($"Added 5 documents to “{name}”.");
        var stored = await PlaygroundApi.GetAsync(fixture.Server, $"/v1/collections/{name}");
        Assert.Equal(5, stored.GetProperty("documents").GetInt32());
        await Expect(page.Locator("#search-collection option:checked")).ToContainTextAsync($"{name} · 5 documents");
        // The plain line got a stable id: the same line added again replaces it.
        await page.Locator("#upsert-form [name=documents]").FillAsync(Upserts[^1]);
        await page.Locator("#upsert-form").GetByRole(AriaRole.Button, new() { Name = "Add documents" }).ClickAsync();
        await Expect(page.Locator("#search-collection option:checked")).ToContainTextAsync($"{name} · 5 documents");

        // Two-stage search: the API's order, both scores, the move from the vector order, chunk, metadata, stage times.
        var form = page.Locator("#search-form");
        await form.Locator("[name=query]").FillAsync(Query);
        await form.Locator("summary").ClickAsync();
        await form.Locator("[name=top_n]").FillAsync("4");
        await form.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Expect(page.Locator("#search-reranked")).ToHaveTextAsync("reranked");
        var reranked = await SearchAsync(name, new { query = Query, top_n = 4 });
        await AssertHitsAsync(page, reranked, reranked: true);
        var beijing = page.Locator("#search-hits li[data-id=beijing]");
        await Expect(beijing.Locator(".chunk-label")).ToHaveTextAsync("best chunk #0");
        await Expect(beijing.Locator(".chunk mark")).ToHaveTextAsync(["capital", "China"]);
        await Expect(beijing.Locator(".meta span")).ToHaveTextAsync(["lang: \"en\"", "topic: \"geo\""]);
        var stages = await page.Locator("#search-timings [data-stage]").EvaluateAllAsync<string[]>("s => s.map(e => e.dataset.stage)");
        Assert.Equal(["embed", "vector", "rerank", "total"], stages);
        await session.ScreenshotAsync("search-desktop");
        await session.AssertFitsPhoneAsync("search-phone");
        await page.SetViewportSizeAsync(1280, 860);

        // Without the rerank stage: the vector order, said so.
        await form.GetByLabel("Rerank", new() { Exact = true }).UncheckAsync();
        await form.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Expect(page.Locator("#search-reranked")).ToHaveTextAsync("not reranked (vector order)");
        await AssertHitsAsync(page, await SearchAsync(name, new { query = Query, top_n = 4, rerank = false }), reranked: false);

        // A metadata filter, typed as key=value.
        await form.GetByLabel("Rerank", new() { Exact = true }).CheckAsync();
        await form.Locator("[name=filter]").FillAsync("lang=zh");
        await form.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Expect(page.Locator("#search-hits li")).ToHaveCountAsync(1);
        await AssertHitsAsync(page, await SearchAsync(name, new { query = Query, top_n = 4, filter = new { lang = "zh" } }), reranked: true);

        // Only JSON's number syntax is a number: 0x10 and Infinity stay text (Number() made them 16 and null).
        await form.Locator("[name=filter]").FillAsync("code=0x10\nrank=3\nratio=-1.5e2\nwide=Infinity\nok=true\nquoted=\"7\"");
        var sent = await page.RunAndWaitForRequestAsync(
            () => form.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync(),
            request => request.Url.EndsWith($"/v1/collections/{name}/search", StringComparison.Ordinal));
        using (var body = JsonDocument.Parse(sent.PostData!))
        {
            Assert.Equal("""{"code":"0x10","rank":3,"ratio":-150,"wide":"Infinity","ok":true,"quoted":"7"}""",
                body.RootElement.GetProperty("filter").GetRawText());
        }

        // A refusal is shown in the server's words.
        await form.Locator("[name=filter]").FillAsync("");
        await form.Locator("[name=top_k]").FillAsync("5000");
        await form.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        var refusal = await fixture.Server.PostJsonAsync($"/v1/collections/{name}/search", new { query = Query, top_k = 5000, top_n = 4 });
        using var error = JsonDocument.Parse(await refusal.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        await Expect(page.Locator(".message[data-for=search]")).ToHaveTextAsync(
            $"The server answered {(int)refusal.StatusCode}: {error.RootElement.GetProperty("error").GetProperty("message").GetString()}");
        session.AssertLocalAndErrorFree();
    }

    private Task<JsonElement> SearchAsync(string name, object body) => PlaygroundApi.PostAsync(fixture.Server, $"/v1/collections/{name}/search", body);

    private static async Task AssertHitsAsync(IPage page, JsonElement expected, bool reranked)
    {
        var results = expected.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(reranked, expected.GetProperty("reranked").GetBoolean());
        var rows = page.Locator("#search-hits > li");
        await Expect(rows).ToHaveCountAsync(results.Length);
        var shown = await rows.EvaluateAllAsync<string[][]>(
            "rows => rows.map(r => [r.dataset.id, r.dataset.score, r.dataset.vectorScore, r.querySelector('.score').textContent, r.querySelector('.move')?.dataset.move ?? (r.querySelector('.move') ? '0' : ''), r.querySelector('.chunk-text').textContent])");
        // Each result's place in the vector stage's order, among these results, from the API's own vector scores.
        var vectorOrder = results.Select((r, i) => (Score: r.GetProperty("vector_score").GetDouble(), i)).OrderByDescending(x => x.Score).ThenBy(x => x.i).Select(x => x.i).ToList();
        for (var rank = 0; rank < results.Length; rank++)
        {
            var result = results[rank];
            var score = result.GetProperty("score").GetDouble();
            Assert.Equal(result.GetProperty("id").GetString(), shown[rank][0]);
            Assert.Equal(score, double.Parse(shown[rank][1], CultureInfo.InvariantCulture));
            Assert.Equal(result.GetProperty("vector_score").GetDouble(), double.Parse(shown[rank][2], CultureInfo.InvariantCulture));
            Assert.Equal($"{(reranked ? "rerank" : "score")} {score.ToString("F4", CultureInfo.InvariantCulture)}", shown[rank][3]);
            Assert.Equal(reranked ? (vectorOrder.IndexOf(rank) - rank).ToString(CultureInfo.InvariantCulture) : "", shown[rank][4]);
            Assert.Equal(result.GetProperty("chunk").GetProperty("text").GetString(), shown[rank][5]);
        }
    }
}
