using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;

namespace Sift.Server.Playground;

/// <summary>
/// The web playground: a page at GET / and GET /ui, its scripts and styles at /ui/*, all embedded
/// in this assembly, so it works offline and with no file beside the binary. The page calls the
/// server's own public API, with the key the user types (the page itself holds no secret, so it
/// is served without one).
/// </summary>
internal static class PlaygroundRoutes
{
    private const string AssetPath = "/ui";

    /// <summary>
    /// Everything the page loads comes from this server and nothing else: a browser refuses any
    /// other script, style, image, font, frame or connection, so no request can leave for a CDN.
    /// </summary>
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
        + "manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly EmbeddedFileProvider Assets = new(typeof(PlaygroundRoutes).Assembly, "Sift.Server.Playground.assets");

    /// <summary>Whether a request is for the page or its assets (GET or HEAD of /, /ui or /ui/...), which need no API key.</summary>
    public static bool IsPageRequest(HttpRequest request) =>
        (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
        && (request.Path == "/" || request.Path.StartsWithSegments(AssetPath, StringComparison.OrdinalIgnoreCase));

    public static void Map(WebApplication app)
    {
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = Assets,
            RequestPath = AssetPath,
            OnPrepareResponse = file => SetHeaders(file.Context.Response),
        });
        app.MapMethods("/", [HttpMethods.Get, HttpMethods.Head], PageAsync).ExcludeFromDescription();
        app.MapMethods(AssetPath, [HttpMethods.Get, HttpMethods.Head], PageAsync).ExcludeFromDescription();
    }

    private static async Task PageAsync(HttpContext context)
    {
        if (context.Request.Path.StartsWithSegments(AssetPath) && context.Request.Path.Value!.EndsWith('/'))
        {
            // The page's links are relative (so a proxy prefix works): from /ui/ they would point into /ui/ui/.
            context.Response.Redirect("../ui");
            return;
        }
        var page = Assets.GetFileInfo("index.html");
        SetHeaders(context.Response);
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.ContentLength = page.Length;
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }
        await using var stream = page.CreateReadStream();
        await stream.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    private static void SetHeaders(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        // The assets change with the binary: revalidate (ETag) rather than run an old script against a new API.
        response.Headers.CacheControl = "no-cache";
    }
}
