using System.Net;
using System.Reflection;
using System.Text.RegularExpressions;
using Sift.Server.Hosting;

namespace Sift.Tests.Server.Playground;

/// <summary>The page's routes over plain HTTP: what is served, with which headers, and what still needs the key.</summary>
[Collection(PlaygroundCollection.Name)]
public sealed partial class PlaygroundRouteTests(PlaygroundFixture fixture)
{
    private static readonly string[] Assets =
        ["playground.css", "theme.js", "app.js", "api.js", "dom.js", "embed.js", "rerank.js", "search.js", "status.js", "favicon.svg"];

    [Fact]
    public async Task PageAndAssets_AreServedWithoutTheKey_WithAPolicyThatAllowsOnlyThisServer()
    {
        var server = fixture.Server;
        using var anonymous = new HttpClient { BaseAddress = server.Address };
        var cancel = TestContext.Current.CancellationToken;

        foreach (var path in new[] { "/", "/ui" })
        {
            var page = await anonymous.GetAsync(path, cancel);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
            var policy = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
            Assert.Contains("connect-src 'self'", policy, StringComparison.Ordinal);
            Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
            Assert.Contains("<title>Sift playground</title>", await page.Content.ReadAsStringAsync(cancel), StringComparison.Ordinal);
        }
        foreach (var asset in Assets)
        {
            var response = await anonymous.GetAsync("/ui/" + asset, cancel);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(response.Headers.Contains("Content-Security-Policy"), asset);
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.NotNull(response.Headers.ETag);
        }
        Assert.Equal("text/javascript", (await anonymous.GetAsync("/ui/app.js", cancel)).Content.Headers.ContentType?.MediaType);
        Assert.Equal("text/css", (await anonymous.GetAsync("/ui/playground.css", cancel)).Content.Headers.ContentType?.MediaType);
        using var head = new HttpRequestMessage(HttpMethod.Head, "/");
        Assert.Equal(HttpStatusCode.OK, (await anonymous.SendAsync(head, cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("/ui/missing.js", cancel)).StatusCode);
        using var noRedirects = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.Address };
        var slash = await noRedirects.GetAsync("/ui/", cancel);
        Assert.Equal(HttpStatusCode.Redirect, slash.StatusCode);
        Assert.Equal(new Uri(server.Address, "/ui"), new Uri(new Uri(server.Address, "/ui/"), slash.Headers.Location!));

        // The page is open; the API behind it is not, whatever the path.
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/v1/models", cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/", new StringContent("{}"), cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/ui", new StringContent("{}"), cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("/v1/models", cancel)).StatusCode);
    }

    [Fact]
    public async Task PlaygroundOff_ServesNoPage_AndThePathsNeedTheKeyAgain()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { ApiKey = "k", Playground = false });
        using var anonymous = new HttpClient { BaseAddress = server.Address };
        var cancel = TestContext.Current.CancellationToken;
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/", cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/ui/app.js", cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http.GetAsync("/", cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http.GetAsync("/ui", cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http.GetAsync("/ui/app.js", cancel)).StatusCode);
    }

    [Fact]
    public void EmbeddedAssets_AreExactlyThePagesFiles_AndNameNoOtherHost()
    {
        var assembly = typeof(SiftServer).Assembly;
        const string prefix = "Sift.Server.Playground.assets.";
        var embedded = assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Select(n => n[prefix.Length..]).Order().ToArray();
        Assert.Equal(Assets.Append("index.html").Order().ToArray(), embedded);
        foreach (var name in embedded)
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(prefix + name)!);
            var text = reader.ReadToEnd();
            // No absolute URL (a CDN, a font service, an analytics script): everything is relative to this server.
            // The SVG's XML namespace is a name, not a request.
            var urls = AbsoluteUrl().Matches(text).Select(m => m.Value).Where(u => u != "http://www.w3.org/2000/svg").ToArray();
            Assert.True(urls.Length == 0, $"{name} names {string.Join(", ", urls)}");
        }
    }

    [GeneratedRegex(@"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\s""')]*", RegexOptions.IgnoreCase)]
    private static partial Regex AbsoluteUrl();
}
