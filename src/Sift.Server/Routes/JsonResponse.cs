using System.Text.Encodings.Web;
using System.Text.Json;

namespace Sift.Server.Routes;

/// <summary>Response bodies are written as plain UTF-8 JSON (not \u-escaped text), as the APIs Sift mirrors send them.</summary>
internal static class JsonResponse
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Utf8JsonWriter Start(HttpContext context)
    {
        context.Response.ContentType = "application/json";
        return new Utf8JsonWriter(context.Response.Body, Options);
    }
}
