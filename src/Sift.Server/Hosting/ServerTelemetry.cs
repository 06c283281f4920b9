using System.Diagnostics.Metrics;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Sift.Server.Metrics;
using Sift.Telemetry;

namespace Sift.Server.Hosting;

/// <summary>
/// Wires the server's metrics and traces through OpenTelemetry: the Sift meter, ASP.NET Core's
/// and the runtime's meters, served in the Prometheus text format at /metrics; with
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or the per-signal variables) set, traces (the request, its
/// queue wait, its computation and the engine's forward passes) and metrics go to that OTLP
/// collector too, configured by the standard <c>OTEL_*</c> variables.
/// </summary>
internal static class ServerTelemetry
{
    /// <summary>The service name when OTEL_SERVICE_NAME does not give one.</summary>
    public const string ServiceName = "sift";

    /// <summary>Routes that would only add noise to traces: probes and scrapes.</summary>
    private static readonly string[] UntracedPaths = ["/health", "/ready", "/metrics"];

    public static void Add(WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(services => new SiftTelemetry(services.GetRequiredService<IMeterFactory>()));
        builder.Services.AddSingleton<ServerMetrics>();
        var otlp = OtlpConfigured(builder.Configuration);
        var telemetry = builder.Services.AddOpenTelemetry().ConfigureResource(resource =>
        {
            if (string.IsNullOrEmpty(builder.Configuration["OTEL_SERVICE_NAME"]))
            {
                resource.AddService(ServiceName, serviceVersion: typeof(ServerTelemetry).Assembly.GetName().Version?.ToString());
            }
        });
        telemetry.WithMetrics(metrics =>
        {
            metrics.AddMeter(SiftTelemetry.Name).AddAspNetCoreInstrumentation().AddRuntimeInstrumentation()
                // Every scrape collects afresh (the exporter's default caches a response for 300 ms).
                .AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0);
            // The Sift and ASP.NET Core meters are made per host by its IMeterFactory; a process that
            // runs two hosts (tests, an application embedding the server) keeps each one's series apart.
            // A Sift meter made without a factory (an application's own SiftTelemetry for the engine) is
            // another host's too: were it enabled here, its instruments would share this host's streams
            // by name, and disposing it would end those streams, this host's series with them.
            builder.Services.ConfigureOpenTelemetryMeterProvider((services, provider) =>
            {
                var factory = services.GetRequiredService<IMeterFactory>();
                provider.AddView(instrument => IsThisHosts(instrument.Meter, factory) ? null : MetricStreamConfiguration.Drop);
            });
            if (otlp)
            {
                metrics.AddOtlpExporter();
            }
        });
        if (otlp)
        {
            telemetry.WithTracing(tracing => tracing
                .AddSource(SiftTelemetry.Name)
                .AddAspNetCoreInstrumentation(aspNetCore =>
                    aspNetCore.Filter = context => !UntracedPaths.Contains(context.Request.Path.Value, StringComparer.OrdinalIgnoreCase))
                .AddOtlpExporter());
        }
    }

    /// <summary>Maps /metrics (Prometheus text format).</summary>
    public static void MapMetrics(WebApplication app) =>
        app.MapPrometheusScrapingEndpoint("/metrics").WithName("metrics").WithSummary("Prometheus metrics: Sift's, ASP.NET Core's and the runtime's.");

    /// <summary>
    /// Whether a meter's instruments belong on this host's /metrics: its own (made by its factory), or
    /// a process-wide one no host owns (the runtime's), but never a Sift meter another host or the
    /// application made.
    /// </summary>
    private static bool IsThisHosts(Meter meter, IMeterFactory factory) =>
        ReferenceEquals(meter.Scope, factory) || (meter.Scope is null && meter.Name != SiftTelemetry.Name);

    private static bool OtlpConfigured(IConfiguration configuration) =>
        new[] { "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" }.Any(name => !string.IsNullOrWhiteSpace(configuration[name]));
}
