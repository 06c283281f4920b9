using Sift.Server.Hosting;

namespace Sift.Server.Routes;

/// <summary>GET /health (the process answers) and /ready (the models are loaded).</summary>
internal static class HealthRoutes
{
    public static void Map(WebApplication app)
    {
        app.MapGet("/health", () => Results.Json(new { status = "ok" })).WithName("health").WithSummary("Liveness: 200 while the process serves.");
        app.MapGet("/ready", (ModelRegistry registry) => registry.IsReady
                ? Results.Json(new { status = "ready", models = registry.ServedNames.Select(n => n.Name) })
                : Results.Json(new { status = registry.Loaded.IsFaulted ? "failed" : "loading" }, statusCode: StatusCodes.Status503ServiceUnavailable))
            .WithName("ready").WithSummary("Readiness: 200 once every model is loaded, 503 before.");
    }
}
