using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Sift.Tests.Server.Playground;

[Collection(PlaygroundCollection.Name)]
public sealed class PlaygroundRerankTests(PlaygroundFixture fixture)
{
    private const string Query = "What is the capital of China?";
    private const string Instruction = "Given a question about geography, find the passage that answers it";
    private static readonly string[] Documents =
    [
        "Gravity is a force that attracts two bodies towards each other.",
        "The capital of China is Beijing.",
        "北京是中华人民共和国的首都。",
        "Shanghai is the largest city in China by population.",
        "Paris is the capital of France.",
    ];

    [Fact]
    public async Task Rerank_ShowsTheApisOrderScoresAndRankChanges_WithTopN_BesideTheDefaultInstruction()
    {
        await using var session = await fixture.OpenAsync("rerank");
        var page = session.Page;
        var form = page.Locator("#rerank-form");
        await form.Locator("[name=query]").FillAsync(Query);
        await form.Locator("[name=instruction]").FillAsync(Instruction);
        await form.Locator("[name=documents]").FillAsync(string.Join("\n", Documents));
        await form.Locator("[name=top_n]").FillAsync("4");
        await form.GetByLabel("Compare with the default instruction").CheckAsync();
        await form.GetByRole(AriaRole.Button, new() { Name = "Rerank" }).ClickAsync();

        var columns = page.Locator("#rerank-columns .ranking");
        await Expect(columns).ToHaveCountAsync(2);
        await Expect(columns.Nth(0).Locator("h3")).ToContainTextAsync("With your instruction");
        await Expect(columns.Nth(1).Locator("h3")).ToContainTextAsync("With the default instruction");
        await AssertRankingAsync(columns.Nth(0), await RerankAsync(new { query = Query, documents = Documents, top_n = 4, instruction = Instruction }), 4);
        await AssertRankingAsync(columns.Nth(1), await RerankAsync(new { query = Query, documents = Documents, top_n = 4 }), 4);
        await session.ScreenshotAsync("rerank-desktop");
        await session.AssertFitsPhoneAsync("rerank-phone");
        session.AssertLocalAndErrorFree();
    }

    [Fact]
    public async Task Rerank_PastedJsonRequest_FillsTheFormAndRanksItsDocuments()
    {
        await using var session = await fixture.OpenAsync("rerank");
        var page = session.Page;
        var form = page.Locator("#rerank-form");
        var pasted = JsonSerializer.Serialize(new { query = "Which city is the capital?", documents = new object[] { new { text = Documents[1] }, Documents[4], new { text = Documents[0] } }, top_n = 2 });
        await form.Locator("[name=documents]").FillAsync(pasted);
        await form.Locator("[name=documents]").PressAsync("Control+Enter");

        var ranking = page.Locator("#rerank-columns .ranking");
        await Expect(ranking).ToHaveCountAsync(1);
        await Expect(form.Locator("[name=query]")).ToHaveValueAsync("Which city is the capital?");
        await Expect(form.Locator("[name=top_n]")).ToHaveValueAsync("2");
        await AssertRankingAsync(ranking, await RerankAsync(new { query = "Which city is the capital?", documents = new[] { Documents[1], Documents[4], Documents[0] }, top_n = 2 }), 2);
        session.AssertLocalAndErrorFree();
    }

    [Fact]
    public async Task Errors_AreShownInTheServersWords_AndThePageKeepsWorking()
    {
        await using var session = await fixture.OpenAsync("rerank");
        var page = session.Page;
        var form = page.Locator("#rerank-form");
        var message = page.Locator(".message[data-for=rerank]");
        var submit = form.GetByRole(AriaRole.Button, new() { Name = "Rerank" });

        await form.Locator("[name=query]").FillAsync("");
        await submit.ClickAsync();
        await Expect(message).ToHaveTextAsync("The server answered 400: 'query' is an empty string");
        await Expect(message).ToHaveAttributeAsync("role", "alert");

        await form.Locator("[name=query]").FillAsync(Query);
        await form.Locator("[name=documents]").FillAsync("[\"a\", ");
        await submit.ClickAsync();
        await Expect(message).ToContainTextAsync("The documents look like JSON but do not parse");

        // A server that cannot be reached (the connection refused) is said so, too.
        await form.Locator("[name=documents]").FillAsync(string.Join("\n", Documents));
        await page.RouteAsync("**/v1/rerank", route => route.AbortAsync("connectionrefused"));
        await submit.ClickAsync();
        await Expect(message).ToHaveTextAsync("Could not reach the server (Failed to fetch). Is sift serve still running?");

        await page.UnrouteAllAsync();
        await submit.ClickAsync();
        await Expect(page.Locator("#rerank-columns .ranked li")).ToHaveCountAsync(Documents.Length);
        await Expect(message).ToBeEmptyAsync();
        session.AssertLocalAndErrorFree();
    }

    private Task<JsonElement> RerankAsync(object body) => PlaygroundApi.PostAsync(fixture.Server, "/v1/rerank", body);

    /// <summary>The column lists the API's results in its order, with its scores, and each result's move from the input order.</summary>
    private static async Task AssertRankingAsync(ILocator column, JsonElement expected, int count)
    {
        var results = expected.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(count, results.Length);
        var rows = column.Locator("ol.ranked > li");
        await Expect(rows).ToHaveCountAsync(count);
        var shown = await rows.EvaluateAllAsync<string[][]>(
            "rows => rows.map(r => [r.dataset.index, r.dataset.score, r.querySelector('.score').textContent, r.querySelector('.move').dataset.move ?? '0', r.querySelector('.text').textContent])");
        for (var rank = 0; rank < count; rank++)
        {
            var index = results[rank].GetProperty("index").GetInt32();
            var score = results[rank].GetProperty("relevance_score").GetDouble();
            Assert.Equal(index.ToString(CultureInfo.InvariantCulture), shown[rank][0]);
            Assert.Equal(score, double.Parse(shown[rank][1], CultureInfo.InvariantCulture));
            Assert.Equal(score.ToString("F4", CultureInfo.InvariantCulture), shown[rank][2]);
            Assert.Equal((index - rank).ToString(CultureInfo.InvariantCulture), shown[rank][3]);
        }
    }
}
