using System.Text.Json;
using Microsoft.Playwright;
using Sift.Server.Retrieval;
using static Microsoft.Playwright.Assertions;

namespace Sift.Tests.Server.Playground;

/// <summary>The Search tab says why results were not reranked (the API's fallback_reason), and which recall stage found each hybrid result (its "stage").</summary>
[Collection(PlaygroundCollection.Name)]
public sealed class PlaygroundSearchFallbackTests(PlaygroundFixture fixture)
{
    private const string Query = "What is the capital of China?";

    [Fact]
    public async Task Search_RerankerFails_ThePageShowsTheFallbackReason()
    {
        var name = await CollectionAsync(hybrid: false);
        var host = (RetrievalHost)fixture.Server.Services.GetService(typeof(RetrievalHost))!;
        host.RerankerDecorator = inner => new FaultyReranker(inner, new InvalidOperationException("the reranker broke"));
        try
        {
            await using var session = await fixture.OpenAsync("search");
            var page = session.Page;
            await Expect(page.Locator($"#search-collection option[value={name}]")).ToHaveCountAsync(1);
            await page.Locator("#search-collection").SelectOptionAsync(name);
            await page.Locator("#search-form [name=query]").FillAsync(Query);
            await page.Locator("#search-form").GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();

            var answer = await PlaygroundApi.PostAsync(fixture.Server, $"/v1/collections/{name}/search", new { query = Query });
            var reason = answer.GetProperty("fallback_reason").GetString();
            Assert.Equal("reranker_failed", reason);
            Assert.False(answer.GetProperty("reranked").GetBoolean());
            var badge = page.Locator("#search-reranked");
            await Expect(badge).ToHaveTextAsync($"not reranked: {reason} (vector order)");
            await Expect(badge).ToHaveAttributeAsync("data-fallback-reason", reason!);
            await Expect(badge).ToHaveAttributeAsync("title", "the reranker failed (the server log has why); results in vector order");
            var shown = await page.Locator("#search-hits > li").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.id)");
            Assert.Equal(answer.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetString()), shown);
            session.AssertLocalAndErrorFree();
        }
        finally
        {
            host.RerankerDecorator = null;
        }
    }

    [Fact]
    public async Task HybridSearch_EachResultShowsTheStageThatFoundIt()
    {
        var name = await CollectionAsync(hybrid: true);
        // The keyword "capital" is in two documents: lexical recall finds them whatever the vectors say, and fused, one at least is among the top 3.
        var body = new { query = "capital", top_k = 3, top_n = 3, rerank = false };
        var answer = await PlaygroundApi.PostAsync(fixture.Server, $"/v1/collections/{name}/search", body);
        var stages = answer.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("stage").GetString()!).ToArray();
        Assert.True(answer.GetProperty("hybrid").GetBoolean());
        Assert.Contains(stages, s => s is "lexical" or "both");

        await using var session = await fixture.OpenAsync("search");
        var page = session.Page;
        await Expect(page.Locator($"#search-collection option[value={name}]")).ToHaveCountAsync(1);
        await page.Locator("#search-collection").SelectOptionAsync(name);
        var form = page.Locator("#search-form");
        await form.Locator("[name=query]").FillAsync("capital");
        await form.Locator("summary").ClickAsync();
        await form.Locator("[name=top_k]").FillAsync("3");
        await form.Locator("[name=top_n]").FillAsync("3");
        await form.GetByLabel("Rerank", new() { Exact = true }).UncheckAsync();
        await form.GetByLabel("Hybrid (lexical + vector)").CheckAsync();
        await form.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();

        await Expect(page.Locator("#search-reranked")).ToHaveTextAsync("not reranked (fused order)");
        var rows = page.Locator("#search-hits > li");
        await Expect(rows).ToHaveCountAsync(stages.Length);
        var shown = await rows.EvaluateAllAsync<string[][]>("rows => rows.map(r => [r.dataset.id, r.querySelector('.badge.stage').dataset.stage, r.querySelector('.badge.stage').textContent])");
        var results = answer.GetProperty("results").EnumerateArray().ToArray();
        for (var i = 0; i < results.Length; i++)
        {
            Assert.Equal(results[i].GetProperty("id").GetString(), shown[i][0]);
            Assert.Equal(stages[i], shown[i][1]);
            Assert.Equal($"found by {(stages[i] == "both" ? "vector + lexical" : stages[i])}", shown[i][2]);
        }
        session.AssertLocalAndErrorFree();
    }

    private async Task<string> CollectionAsync(bool hybrid)
    {
        var name = $"fb{Guid.NewGuid():N}"[..12];
        await PlaygroundApi.PostAsync(fixture.Server, "/v1/collections", new { name, dimensions = 48, hybrid });
        await PlaygroundApi.PostAsync(fixture.Server, $"/v1/collections/{name}/documents",
            new { documents = SearchServer.Corpus.Select(d => new { id = d.Id, text = d.Text }) });
        return name;
    }
}
