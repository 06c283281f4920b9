using System.Globalization;
using System.Text.Json;
using Sift.Server.Errors;
using Sift.Server.Routes;

namespace Sift.Server.Alerts;

/// <summary>GET /v1/low-confidence: the analysis queue of flagged rankings, newest first.</summary>
internal static class LowConfidenceRoutes
{
    public const int DefaultLimit = 20;

    public const int MaxLimit = 1000;

    public static void Map(WebApplication app) =>
        app.MapGet("/v1/low-confidence", ListAsync).WithName("low_confidence")
            .WithSummary($"The rankings the low-confidence rule flagged, newest first: ?limit=N (1..{MaxLimit}, default {DefaultLimit}).")
            .Produces<LowConfidenceList>();

    private static async Task ListAsync(HttpContext context, ILowConfidenceStore store)
    {
        var limit = DefaultLimit;
        if (context.Request.Query.TryGetValue("limit", out var values))
        {
            var text = values.ToString();
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit)
            {
                throw ApiException.BadRequest($"'limit' must be an integer from 1 to {MaxLimit}, got \"{text}\"", "limit");
            }
        }
        var entries = await store.ListAsync(limit, context.RequestAborted);
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, new LowConfidenceList("list", entries), AlertJson.Options, context.RequestAborted);
    }

    /// <summary>The response: {"object": "list", "data": [entries]}.</summary>
    internal sealed record LowConfidenceList(string Object, IReadOnlyList<LowConfidenceEntry> Data);
}
