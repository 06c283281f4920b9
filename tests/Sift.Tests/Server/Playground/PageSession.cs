using System.Collections.Concurrent;
using Microsoft.Playwright;

namespace Sift.Tests.Server.Playground;

/// <summary>
/// One page under test, in its own browser context. Records every request the page makes and every
/// script error, for <see cref="AssertLocalAndErrorFree"/> at the end of each test.
/// </summary>
public sealed class PageSession : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly Uri _server;

    public PageSession(IBrowserContext context, IPage page, Uri server)
    {
        Context = context;
        Page = page;
        _server = server;
        context.Request += (_, request) => _requests.Enqueue(request.Url);
        context.Page += (_, other) => other.PageError += (_, error) => _errors.Enqueue(error);
        page.PageError += (_, error) => _errors.Enqueue(error);
        page.Console += (_, message) =>
        {
            // Chromium logs every 4xx/5xx fetch as "Failed to load resource"; the tests provoke those on purpose.
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
            {
                _errors.Enqueue(message.Text);
            }
        };
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    /// <summary>Every URL the page has requested so far.</summary>
    public IReadOnlyList<string> Requests => [.. _requests];

    /// <summary>Writes artifacts/playground/NAME.png (the whole page).</summary>
    public Task ScreenshotAsync(string name) =>
        Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(PlaygroundFixture.ArtifactDirectory, name + ".png"), FullPage = true });

    /// <summary>Switches to a phone's width (iPhone 12-15 class, 390 CSS pixels) and checks that nothing overflows sideways.</summary>
    public async Task AssertFitsPhoneAsync(string screenshotName)
    {
        await Page.SetViewportSizeAsync(390, 844);
        var overflow = await Page.EvaluateAsync<int>("document.documentElement.scrollWidth - document.documentElement.clientWidth");
        Assert.True(overflow <= 0, $"the page is {overflow} px wider than a 390 px phone screen");
        await ScreenshotAsync(screenshotName);
    }

    /// <summary>Every request went to the Sift server on 127.0.0.1 (no CDN, nothing else), and no script failed.</summary>
    public void AssertLocalAndErrorFree()
    {
        var server = _server.GetLeftPart(UriPartial.Authority) + "/";
        Assert.StartsWith("http://127.0.0.1:", server, StringComparison.Ordinal);
        Assert.NotEmpty(_requests);
        var foreign = _requests.Where(url => !url.StartsWith(server, StringComparison.Ordinal)).ToArray();
        Assert.True(foreign.Length == 0, $"the page made requests beyond {server}: {string.Join(", ", foreign)}");
        var errors = _errors.ToArray();
        Assert.True(errors.Length == 0, $"script errors on the page: {string.Join(" | ", errors)}");
    }

    public async ValueTask DisposeAsync() => await Context.DisposeAsync();
}
