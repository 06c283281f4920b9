using Microsoft.Playwright;
using Sift.Server.Hosting;
using Sift.Tests.Support;

namespace Sift.Tests.Server.Playground;

/// <summary>
/// One real server (both fixture models, an API key) and one real Chromium (Debian's, driven by
/// Playwright with no browser download) for every page test: each test opens its own browser
/// context (fresh storage) on it, so the suite pays for one server and one browser start.
/// </summary>
public sealed class PlaygroundFixture : IAsyncLifetime
{
    public const string ApiKey = "playground-s3cret";

    /// <summary>The flags Chromium needs on a machine with no network: nothing of its own goes out.</summary>
    private static readonly string[] ChromiumArgs =
    [
        "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
    ];

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public TestServer Server { get; private set; } = null!;

    /// <summary>Debian's Chromium (SIFT_CHROMIUM overrides), or null when it is not installed.</summary>
    public static string? ChromiumPath { get; } = Environment.GetEnvironmentVariable("SIFT_CHROMIUM") is { Length: > 0 } path
        ? path
        : RequiredService.FindExecutable("chromium", "/usr/bin/chromium");

    /// <summary>Where the screenshots go: artifacts/playground in the repository (git-ignored; .ci/run copies it back).</summary>
    public static string ArtifactDirectory { get; } = Path.Combine(Fixtures.Repository, "artifacts", "playground");

    public async ValueTask InitializeAsync()
    {
        Server = await TestServer.StartAsync(new ServerOptions { ApiKey = ApiKey });
        if (ChromiumPath is null)
        {
            return;
        }
        _playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
        });
        Directory.CreateDirectory(ArtifactDirectory);
    }

    /// <summary>A new browser tab in a fresh context, at a desktop size unless told otherwise; the test is skipped without Chromium.</summary>
    /// <param name="prepare">Runs on the new context before the page loads (e.g. to route some requests).</param>
    public async Task<PageSession> OpenAsync(string hash = "", int width = 1280, int height = 860, ColorScheme colorScheme = ColorScheme.Light, bool withKey = true,
        Func<IBrowserContext, Task>? prepare = null)
    {
        RequiredService.Require(_browser is not null, "chromium", "apt-get install chromium");
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
            ColorScheme = colorScheme,
            Locale = "en-US",
            TimezoneId = "UTC",
        });
        context.SetDefaultTimeout(20_000);
        // Assertions wait for what the server computes (a rerank, a search); 5 s is too little on a loaded CI machine.
        Assertions.SetDefaultExpectTimeout(20_000);
        var session = new PageSession(context, await context.NewPageAsync(), Server.Address);
        if (withKey)
        {
            // The key a user would type, put where the page keeps it (this tab's sessionStorage) before any script runs.
            await context.AddInitScriptAsync($"sessionStorage.setItem('sift.apiKey', '{ApiKey}')");
        }
        if (prepare is not null)
        {
            await prepare(context);
        }
        await session.Page.GotoAsync(new Uri(Server.Address, "/" + (hash.Length > 0 ? "#" + hash : "")).ToString());
        return session;
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }
        _playwright?.Dispose();
        await Server.DisposeAsync();
    }
}
