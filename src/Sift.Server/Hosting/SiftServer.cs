using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Sift.Server.Errors;
using Sift.Server.Playground;
using Sift.Server.Routes;

namespace Sift.Server.Hosting;

/// <summary>Builds and runs the HTTP server: Kestrel, limits, middleware, routes, background model loading.</summary>
public static class SiftServer
{
    /// <summary>Builds the application; it starts listening with StartAsync or RunAsync.</summary>
    public static WebApplication Build(ServerOptions options, string[]? args = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ModelRegistry.ResolveKinds(options);
        var plan = options.MaxMemory is { } budget
            ? MemoryPlan.Create(budget, ModelRegistry.Footprints(options), options, Kernels.WorkerPool.Shared.ThreadCount)
            : null;
        if (plan is not null)
        {
            options = options with
            {
                MaxBatchTokens = plan.MaxBatchTokens,
                MaxConcurrentRequests = plan.MaxConcurrentRequests,
                Cache = plan.CacheBytes > 0 ? options.Cache with { Size = Math.Max(1, plan.CacheEntries), MaxBytes = plan.CacheBytes } : options.Cache,
            };
        }
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args ?? [], ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = options.PayloadLimit;
            kestrel.AddServerHeader = false;
        });
        builder.WebHost.UseUrls($"http://{FormatHost(options.Host)}:{options.Port}");
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = options.DrainTimeout);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            console.UseUtcTimestamp = true;
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Services.AddSingleton(options);
        if (plan is not null)
        {
            builder.Services.AddSingleton(plan);
        }
        ServerTelemetry.Add(builder);
        builder.Services.AddSingleton<ServerClock>();
        builder.Services.AddSingleton<ModelRegistry>();
        RequestServices.Add(builder.Services, options);
        builder.Services.AddSingleton<Retrieval.RetrievalHost>();
        builder.Services.AddOpenApi();

        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            context.Features.Set(new RequestStats());
            await next(context);
        });
        app.UseMiddleware<ErrorHandlingMiddleware>();
        app.UseMiddleware<ApiKeyMiddleware>();
        app.UseMiddleware<ConcurrencyLimitMiddleware>();
        app.MapOpenApi();
        OpenAiRoutes.Map(app);
        RerankRoutes.Map(app);
        TeiRoutes.Map(app);
        HealthRoutes.Map(app);
        RequestServices.Map(app);
        ServerTelemetry.MapMetrics(app);
        Retrieval.CollectionRoutes.Map(app);
        // The store opens before the server listens: a bad --data fails the start with its reason.
        app.Services.GetRequiredService<Retrieval.RetrievalHost>().Open();
        if (options.Playground)
        {
            PlaygroundRoutes.Map(app);
        }

        var registry = app.Services.GetRequiredService<ModelRegistry>();
        var lifetime = app.Lifetime;
        KernelPathLog.Write(app.Logger);
        lifetime.ApplicationStarted.Register(() => Task.Run(() =>
        {
            try
            {
                registry.Load();
            }
            catch (Exception e)
            {
                app.Logger.LogCritical("could not load the models: {Message}", e.Message);
                lifetime.StopApplication();
            }
        }));
        // SIGTERM: Kestrel stops accepting and waits for requests in flight (HostOptions.ShutdownTimeout);
        // shortly before the drain timeout the registry answers those still waiting 503.
        lifetime.ApplicationStopping.Register(() => registry.BeginDrain(options.DrainTimeout));
        // Requests are drained by then; queued work finishes (or was aborted), then the models go.
        lifetime.ApplicationStopped.Register(registry.Dispose);
        return app;
    }

    /// <summary>The address the server listens on, once started (useful with port 0).</summary>
    public static Uri ListeningAddress(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("the server is not listening");
        return new Uri(address);
    }

    private static string FormatHost(string host) => host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"[{host}]" : host;
}
