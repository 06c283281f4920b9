using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Sift.Tests.Server.Playground;

/// <summary>The page around the tools: API key handling, keyboard use, light and dark, requests made.</summary>
[Collection(PlaygroundCollection.Name)]
public sealed class PlaygroundPageTests(PlaygroundFixture fixture)
{
    [Fact]
    public async Task ApiKey_MissingOrWrongIsExplained_TheRightOneIsKeptInThisTabOnly()
    {
        await using var session = await fixture.OpenAsync("embed", withKey: false);
        var page = session.Page;
        var message = page.Locator(".message[data-for=embed]");
        await Expect(message).ToHaveTextAsync(
            "The server answered 401: missing \"Authorization: Bearer <key>\" header. Enter the server's API key at the top of the page.");

        var key = page.GetByLabel("API key");
        await key.FillAsync("not-the-key");
        await key.PressAsync("Enter");
        await Expect(message).ToHaveTextAsync("The server answered 401: invalid API key. Enter the server's API key at the top of the page.");

        await key.FillAsync(PlaygroundFixture.ApiKey);
        await key.PressAsync("Enter");
        await Expect(message).ToBeEmptyAsync();
        await Expect(page.Locator("#embed-form select[name=model] option")).ToHaveTextAsync([TestServer.EmbeddingName]);
        await Expect(page.Locator("#rerank-form select[name=model] option")).ToHaveTextAsync([TestServer.RerankerName]);

        // Kept in this tab's sessionStorage: not in localStorage, not in a cookie; a reload keeps it, another tab does not see it.
        Assert.Equal(PlaygroundFixture.ApiKey, await page.EvaluateAsync<string>("sessionStorage.getItem('sift.apiKey')"));
        var localStorage = await page.EvaluateAsync<string>("JSON.stringify(Object.entries(localStorage))");
        Assert.DoesNotContain(PlaygroundFixture.ApiKey, localStorage, StringComparison.Ordinal);
        Assert.Empty(await session.Context.CookiesAsync());
        await page.ReloadAsync();
        await Expect(page.GetByLabel("API key")).ToHaveValueAsync(PlaygroundFixture.ApiKey);
        var other = await session.Context.NewPageAsync();
        await other.GotoAsync(page.Url);
        await Expect(other.GetByLabel("API key")).ToHaveValueAsync("");
        await Expect(other.Locator(".message[data-for=embed]")).ToContainTextAsync("401");
        session.AssertLocalAndErrorFree();
    }

    [Fact]
    public async Task ModelsStillLoading_AreSaidSo_AndThePageGoesOnOnceTheyAreReady()
    {
        // The server is ready; the page is first shown what a loading server answers (no model listed,
        // /ready 503 {"status": "loading"}), then the real answers.
        var loadingAnswers = 0;
        await using var session = await fixture.OpenAsync("embed", prepare: async context =>
        {
            await context.RouteAsync("**/v1/models", async route =>
            {
                if (Interlocked.Increment(ref loadingAnswers) == 1)
                {
                    await route.FulfillAsync(new() { Status = 200, ContentType = "application/json", Body = """{"object": "list", "data": []}""" });
                }
                else
                {
                    await route.ContinueAsync();
                }
            });
            await context.RouteAsync("**/ready", async route =>
            {
                if (Volatile.Read(ref loadingAnswers) == 1)
                {
                    await route.FulfillAsync(new() { Status = 503, ContentType = "application/json", Body = """{"status": "loading"}""" });
                }
                else
                {
                    await route.ContinueAsync();
                }
            });
        });
        var page = session.Page;
        await Expect(page.Locator(".message[data-for=embed]")).ToHaveTextAsync("The server is still loading its models; this page will go on when they are ready.");
        await Expect(page.Locator("#embed-form select[name=model] option")).ToHaveTextAsync([TestServer.EmbeddingName]);
        await Expect(page.Locator(".message[data-for=embed]")).ToBeEmptyAsync();
        session.AssertLocalAndErrorFree();
    }

    [Fact]
    public async Task Keyboard_ArrowsMoveBetweenTabs_AndCtrlEnterRunsATool()
    {
        await using var session = await fixture.OpenAsync();
        var page = session.Page;
        await Expect(page.Locator("#embed-form select[name=model] option")).ToHaveCountAsync(1);
        // Tab order from the top: skip link, API key, theme, then the selected tab.
        foreach (var expected in new[] { "skip", "api-key", "theme", "tab-embed" })
        {
            await page.Keyboard.PressAsync("Tab");
            Assert.Equal(expected, await page.EvaluateAsync<string>("document.activeElement.id || document.activeElement.className"));
        }
        await page.Keyboard.PressAsync("ArrowRight");
        await Expect(page.GetByRole(AriaRole.Tab, new() { Name = "Rerank" })).ToBeFocusedAsync();
        await Expect(page.GetByRole(AriaRole.Tab, new() { Name = "Rerank" })).ToHaveAttributeAsync("aria-selected", "true");
        await Expect(page.Locator("#panel-rerank")).ToBeVisibleAsync();
        await Expect(page.Locator("#panel-embed")).ToBeHiddenAsync();
        Assert.EndsWith("#rerank", page.Url, StringComparison.Ordinal);
        await page.Keyboard.PressAsync("End");
        await Expect(page.Locator("#panel-status")).ToBeVisibleAsync();
        await page.Keyboard.PressAsync("ArrowRight");
        await Expect(page.Locator("#panel-embed")).ToBeVisibleAsync();
        await page.Keyboard.PressAsync("ArrowLeft");
        await page.Keyboard.PressAsync("Home");
        await page.Keyboard.PressAsync("ArrowRight");

        // Into the panel and its form by Tab alone, then run it from the query field.
        await page.Keyboard.PressAsync("Tab");
        await Expect(page.Locator("#panel-rerank")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Tab");
        await Expect(page.Locator("#rerank-form [name=query]")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Control+Enter");
        await Expect(page.Locator("#rerank-columns .ranked li")).ToHaveCountAsync(5);
        session.AssertLocalAndErrorFree();
    }

    [Fact]
    public async Task Theme_FollowsTheSystem_AndTheSwitchCyclesLightAndDark()
    {
        const string background = "getComputedStyle(document.body).backgroundColor";
        await using (var dark = await fixture.OpenAsync("rerank", colorScheme: ColorScheme.Dark))
        {
            Assert.Equal("rgb(17, 20, 24)", await dark.Page.EvaluateAsync<string>(background));
            await dark.Page.Locator("#rerank-form").GetByRole(AriaRole.Button, new() { Name = "Rerank" }).ClickAsync();
            await Expect(dark.Page.Locator("#rerank-columns .ranked li")).ToHaveCountAsync(5);
            await dark.ScreenshotAsync("rerank-desktop-dark");
            await dark.AssertFitsPhoneAsync("rerank-phone-dark");
            dark.AssertLocalAndErrorFree();
        }

        await using var session = await fixture.OpenAsync("embed", colorScheme: ColorScheme.Light);
        var page = session.Page;
        Assert.Equal("rgb(246, 247, 249)", await page.EvaluateAsync<string>(background));
        var theme = page.Locator("#theme");
        await Expect(theme).ToHaveAttributeAsync("aria-label", "Theme: automatic");
        await theme.ClickAsync();
        await Expect(theme).ToHaveAttributeAsync("aria-label", "Theme: light");
        await theme.ClickAsync();
        await Expect(theme).ToHaveAttributeAsync("aria-label", "Theme: dark");
        Assert.Equal("rgb(17, 20, 24)", await page.EvaluateAsync<string>(background));
        // Remembered across reloads (a display preference, not a secret).
        await page.ReloadAsync();
        Assert.Equal("dark", await page.EvaluateAsync<string>("document.documentElement.dataset.theme"));
        Assert.Equal("rgb(17, 20, 24)", await page.EvaluateAsync<string>(background));
        await theme.ClickAsync();
        await Expect(theme).ToHaveAttributeAsync("aria-label", "Theme: automatic");
        Assert.Equal("rgb(246, 247, 249)", await page.EvaluateAsync<string>(background));
        session.AssertLocalAndErrorFree();
    }

    [Fact]
    public async Task EveryRequest_GoesToTheServerOn127001_ThePageAndItsAssetsIncluded()
    {
        await using var session = await fixture.OpenAsync("embed");
        var page = session.Page;
        await page.Locator("#embed-form").GetByRole(AriaRole.Button, new() { Name = "Embed" }).ClickAsync();
        await Expect(page.Locator("#embed-heatmap td[data-cosine]")).ToHaveCountAsync(16);
        foreach (var tab in new[] { "Rerank", "Search", "Status" })
        {
            await page.GetByRole(AriaRole.Tab, new() { Name = tab }).ClickAsync();
        }
        await Expect(page.Locator("#status-ready")).ToHaveAttributeAsync("data-status", "ready");

        var paths = session.Requests.Select(url => new Uri(url).AbsolutePath).ToHashSet();
        foreach (var expected in new[] { "/", "/ui/playground.css", "/ui/theme.js", "/ui/app.js", "/ui/api.js", "/ui/dom.js", "/ui/embed.js",
            "/ui/favicon.svg", "/v1/models", "/v1/embeddings", "/tokenize", "/ready", "/metrics" })
        {
            Assert.Contains(expected, paths);
        }
        session.AssertLocalAndErrorFree();
    }
}
