using System.Text.Json;

namespace Sift.Server.Errors;

/// <summary>
/// The two error bodies clients expect: OpenAI's <c>{"error":{"message","type","param","code"}}</c>
/// on /v1 and /v2 routes, TEI's <c>{"error","error_type"}</c> on the TEI routes (/embed, /rerank, ...).
/// </summary>
internal static class ErrorShape
{
    public static bool IsOpenAiRoute(PathString path) =>
        path.StartsWithSegments("/v1", StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments("/v2", StringComparison.OrdinalIgnoreCase);

    public static async Task WriteAsync(HttpContext context, int status, string message, string? param = null, string? code = null)
    {
        if (context.Response.HasStarted)
        {
            return;
        }
        // Clear drops every header set so far, so the headers an error status needs are set here, after it.
        var allow = context.Response.Headers.Allow;
        context.Response.Clear();
        if (status == StatusCodes.Status405MethodNotAllowed)
        {
            context.Response.Headers.Allow = allow;
        }
        context.Response.StatusCode = status;
        // Both mean "not now": a client (the SDK's retries among them) may try again after a second.
        if (status is StatusCodes.Status429TooManyRequests or StatusCodes.Status503ServiceUnavailable)
        {
            context.Response.Headers.RetryAfter = "1";
        }
        if (status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
        }
        await using var writer = Routes.JsonResponse.Start(context);
        writer.WriteStartObject();
        if (IsOpenAiRoute(context.Request.Path))
        {
            writer.WriteStartObject("error");
            writer.WriteString("message", message);
            writer.WriteString("type", OpenAiType(status));
            WriteNullable(writer, "param", param);
            WriteNullable(writer, "code", code);
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteString("error", message);
            writer.WriteString("error_type", TeiType(status));
        }
        writer.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }

    private static string OpenAiType(int status) => status switch
    {
        StatusCodes.Status401Unauthorized => "authentication_error",
        StatusCodes.Status404NotFound => "not_found_error",
        StatusCodes.Status429TooManyRequests => "rate_limit_error",
        >= 500 => "server_error",
        _ => "invalid_request_error",
    };

    private static string TeiType(int status) => status switch
    {
        StatusCodes.Status401Unauthorized => "Unauthorized",
        StatusCodes.Status429TooManyRequests => "Overloaded",
        StatusCodes.Status503ServiceUnavailable => "Unhealthy",
        >= 500 => "Backend",
        _ => "Validation",
    };
}
