using System.Security.Cryptography;
using System.Text;
using Sift.Server.Errors;

namespace Sift.Server.Hosting;

/// <summary>
/// With an API key configured, every route but /health, /ready and the playground page (GET /, /ui
/// and its assets, which hold no secret and ask the user for the key) needs "Authorization: Bearer KEY".
/// </summary>
internal sealed class ApiKeyMiddleware(RequestDelegate next, ServerOptions options)
{
    private readonly byte[]? _key = options.ApiKey is { Length: > 0 } key ? SHA256.HashData(Encoding.UTF8.GetBytes(key)) : null;

    public async Task InvokeAsync(HttpContext context)
    {
        if (_key is null || context.Request.Path.Equals("/health", StringComparison.OrdinalIgnoreCase)
            || context.Request.Path.Equals("/ready", StringComparison.OrdinalIgnoreCase)
            || options.Playground && Playground.PlaygroundRoutes.IsPageRequest(context.Request))
        {
            await next(context);
            return;
        }
        var header = context.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        var given = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? header[scheme.Length..].Trim() : null;
        // Hashing both sides gives equal lengths, so the fixed-time compare does not leak the key's length either.
        if (given is null || !CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), _key))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await ErrorShape.WriteAsync(context, StatusCodes.Status401Unauthorized,
                given is null ? "missing \"Authorization: Bearer <key>\" header" : "invalid API key", null, "invalid_api_key");
            return;
        }
        await next(context);
    }
}
