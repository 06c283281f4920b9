using System.Diagnostics;
using System.Diagnostics.Metrics;
using Sift.Kernels;

namespace Sift.Telemetry;

/// <summary>
/// Sift's metrics and traces, on the .NET APIs every exporter reads (System.Diagnostics.Metrics
/// and ActivitySource), so the server's Prometheus endpoint, an OTLP collector or any in-process
/// listener sees the same instruments. One instance per host: the server builds it from its
/// <see cref="IMeterFactory"/> (so two servers in one process keep separate series); in-process
/// users of the engine share <see cref="Shared"/>.
/// </summary>
/// <remarks>
/// Instrument names follow the OpenTelemetry conventions (dots, a UCUM unit); the Prometheus
/// exporter turns "sift.batch.tokens" with unit "{token}" into <c>sift_batch_tokens</c>, a counter
/// into <c>..._total</c> and unit "s" into <c>..._seconds</c>.
/// </remarks>
public sealed class SiftTelemetry : IDisposable
{
    /// <summary>The name of the meter and of the activity source.</summary>
    public const string Name = "Sift";

    private static readonly double[] SecondsBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
    private static readonly int[] SequenceBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
    private static readonly int[] TokenBuckets = [16, 64, 256, 1024, 2048, 4096, 8192, 16384, 32768, 65536];

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>, or on a meter of their own when it is null.</summary>
    public SiftTelemetry(IMeterFactory? meterFactory = null)
    {
        var version = typeof(SiftTelemetry).Assembly.GetName().Version?.ToString();
        Meter = meterFactory?.Create(Name, version) ?? new Meter(Name, version);
        Requests = Meter.CreateCounter<long>("sift.requests", "{request}", "HTTP requests by route and status.");
        RequestDuration = Meter.CreateHistogram("sift.request.duration", "s", "Request latency in seconds.", advice: Buckets(SecondsBuckets));
        QueueDepth = Meter.CreateUpDownCounter<int>("sift.queue.depth", "{sequence}", "Sequences waiting for a forward pass.");
        QueueDuration = Meter.CreateHistogram("sift.queue.duration", "s", "Time a request's sequences waited for their forward pass.",
            advice: Buckets(SecondsBuckets));
        Batches = Meter.CreateCounter<long>("sift.batches", "{batch}", "Forward passes run by the schedulers.");
        BatchSize = Meter.CreateHistogram("sift.batch.size", "{sequence}", "Sequences per forward pass.", advice: Buckets(SequenceBuckets));
        BatchTokens = Meter.CreateHistogram("sift.batch.tokens", "{token}", "Tokens per forward pass.", advice: Buckets(TokenBuckets));
        ComputeDuration = Meter.CreateHistogram("sift.compute.duration", "s", "Time of one scheduled computation (forward passes and scoring).",
            advice: Buckets(SecondsBuckets));
        TokensProcessed = Meter.CreateCounter<long>("sift.tokens.processed", "{token}", "Tokens run through the model.");
        ModelLoad = Meter.CreateGauge<double>("sift.model.load", "s", "Time to load and pack each model.");
        MemoryBudget = Meter.CreateGauge<long>("sift.memory.budget", "By", "The --max-memory budget the server sized its limits from.");
        MaxBatchTokens = Meter.CreateGauge<int>("sift.batch.max_tokens", "{token}", "Tokens per forward pass the server admits.");
        CacheRequests = Meter.CreateCounter<long>("sift.cache.requests", "{lookup}", "Cache lookups by what was looked up and whether it was found.");
        CacheErrors = Meter.CreateCounter<long>("sift.cache.errors", "{error}", "Cache calls that failed (the request computed instead), by operation and kind.");
        Meter.CreateObservableGauge("sift.cache.entries", () => CacheEntries is { } entries ? [new Measurement<long>(entries())] : Array.Empty<Measurement<long>>(),
            "{entry}", "Entries in the in-process cache.");
        Meter.CreateObservableGauge("sift.cache.bytes", () => CacheBytes is { } bytes ? [new Measurement<long>(bytes())] : Array.Empty<Measurement<long>>(),
            "By", "Bytes the in-process cache's entries are charged (at most its bound).");
        CacheOversize = Meter.CreateCounter<long>("sift.cache.oversize", "{result}", "Results answered but not cached: larger than --cache-max-entry, by kind.");
        CacheShared = Meter.CreateCounter<long>("sift.cache.shared", "{request}",
            "Cache misses answered by a concurrent identical request's computation instead of their own, by kind.");
        var kernels = KernelPath.Current;
        var kernelTags = new TagList
        {
            { "path", kernels.Name }, { "instruction_set", kernels.InstructionSet }, { "vector_bits", kernels.VectorBits },
            { "fp32", kernels.Float32 }, { "int8", kernels.Int8 }, { "int8_a16", kernels.Int8A16 },
        };
        Meter.CreateObservableGauge("sift.kernel_path.info", () => new Measurement<int>(1, kernelTags), null,
            "The SIMD kernel path of this process (always 1; the labels say which).");
        LowConfidence = Meter.CreateCounter<long>("sift.low_confidence", "{ranking}", "Rankings the low-confidence rule flagged, by model and collection.");
        AlertWebhook = Meter.CreateCounter<long>("sift.alert.webhook", "{alert}", "Low-confidence alerts posted to the webhook, by outcome.");
        SearchFallback = Meter.CreateCounter<long>("sift.search.fallback", "{search}",
            "Collection searches answered in first-stage order though reranking was asked, by collection and reason.");
    }

    /// <summary>The telemetry of in-process engine users (no host, no meter factory).</summary>
    public static SiftTelemetry Shared { get; } = new();

    /// <summary>
    /// Spans: the server's schedulers start <c>sift.queue</c> and <c>sift.compute</c> under the
    /// request's span; the engine starts <c>sift.forward</c> per forward pass and <c>sift.prefix</c>
    /// per shared rerank prefix under the current activity. Nothing is created without a listener.
    /// </summary>
    public static ActivitySource ActivitySource { get; } = new(Name, typeof(SiftTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>The meter every instrument below belongs to.</summary>
    public Meter Meter { get; }

    /// <summary>HTTP requests; tags <c>route</c> (method and route pattern) and <c>status</c>.</summary>
    public Counter<long> Requests { get; }

    /// <summary>Request latency; tag <c>route</c>.</summary>
    public Histogram<double> RequestDuration { get; }

    /// <summary>Sequences waiting for a forward pass; tag <c>model</c>.</summary>
    public UpDownCounter<int> QueueDepth { get; }

    /// <summary>Queue wait of a request's sequences; tag <c>model</c>.</summary>
    public Histogram<double> QueueDuration { get; }

    /// <summary>Scheduled computations; tag <c>model</c>.</summary>
    public Counter<long> Batches { get; }

    /// <summary>Sequences per computation; tag <c>model</c>.</summary>
    public Histogram<int> BatchSize { get; }

    /// <summary>Tokens per computation; tag <c>model</c>.</summary>
    public Histogram<int> BatchTokens { get; }

    /// <summary>Duration of one computation; tag <c>model</c>.</summary>
    public Histogram<double> ComputeDuration { get; }

    /// <summary>Tokens run through a model; tag <c>model</c>.</summary>
    public Counter<long> TokensProcessed { get; }

    /// <summary>Load time of a model; tag <c>model</c>.</summary>
    public Gauge<double> ModelLoad { get; }

    /// <summary>The memory budget in bytes (recorded once at start-up when one is set).</summary>
    public Gauge<long> MemoryBudget { get; }

    /// <summary>The tokens per forward pass admitted (recorded once at start-up).</summary>
    public Gauge<int> MaxBatchTokens { get; }

    /// <summary>Cache lookups; tags <c>kind</c> and <c>result</c> (hit, miss).</summary>
    public Counter<long> CacheRequests { get; }

    /// <summary>Failed cache calls; tags <c>operation</c> (read, write) and <c>kind</c> (timeout, connection, ...).</summary>
    public Counter<long> CacheErrors { get; }

    /// <summary>Where sift_cache_entries is read from when scraped (null: no series).</summary>
    public Func<long>? CacheEntries { get; set; }

    /// <summary>Where sift_cache_bytes is read from when scraped (null: no series).</summary>
    public Func<long>? CacheBytes { get; set; }

    /// <summary>Results too large to cache; tag <c>kind</c>.</summary>
    public Counter<long> CacheOversize { get; }

    /// <summary>Misses that waited for another request's computation of the same key; tag <c>kind</c>.</summary>
    public Counter<long> CacheShared { get; }

    /// <summary>Flagged rankings; tags <c>model</c> and <c>collection</c>.</summary>
    public Counter<long> LowConfidence { get; }

    /// <summary>Alert webhook deliveries; tag <c>result</c> (sent, failed, dropped).</summary>
    public Counter<long> AlertWebhook { get; }

    /// <summary>Searches that fell back to first-stage order; tags <c>collection</c>, <c>reason</c> (see Sift.Retrieval.FallbackReason).</summary>
    public Counter<long> SearchFallback { get; }

    /// <inheritdoc />
    public void Dispose() => Meter.Dispose();

    private static InstrumentAdvice<T> Buckets<T>(T[] bounds) where T : struct => new() { HistogramBucketBoundaries = bounds };
}
