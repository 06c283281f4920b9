using Sift.Kernels;

namespace Sift.Server.Hosting;

/// <summary>Everything <c>sift serve</c> can be told; each property is one flag (see README for env vars and appsettings).</summary>
public sealed record ServerOptions
{
    /// <summary>The embedding model directory (or a reranker, when its name says so and no --reranker is given).</summary>
    public string? Model { get; init; }

    /// <summary>The reranker model directory.</summary>
    public string? Reranker { get; init; }

    /// <summary>Names clients use for the embedding model (default: its directory name).</summary>
    public IReadOnlyList<string> ServedModelNames { get; init; } = [];

    /// <summary>Names clients use for the reranker (default: its directory name).</summary>
    public IReadOnlyList<string> ServedRerankerNames { get; init; } = [];

    /// <summary>The address to listen on.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The port to listen on (0 picks a free one).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>When set, every route but /health and /ready needs "Authorization: Bearer KEY".</summary>
    public string? ApiKey { get; init; }

    /// <summary>Tokens per forward pass, summed over the requests batched together.</summary>
    public int MaxBatchTokens { get; init; } = 16384;

    /// <summary>Most inputs (or documents) one request may carry.</summary>
    public int MaxClientBatchSize { get; init; } = 512;

    /// <summary>Requests in flight at once; more are refused with 429 and Retry-After.</summary>
    public int MaxConcurrentRequests { get; init; } = 512;

    /// <summary>Longest input in tokens (default: the model's own limit; 8192 for rerankers).</summary>
    public int? MaxInputLength { get; init; }

    /// <summary>
    /// What every route does with an input over the limit unless the request says
    /// (long_document_strategy); null: each route's own default (embeddings refuse unless asked to
    /// truncate, Cohere rerank truncates).
    /// </summary>
    public Sift.Abstractions.LongDocumentStrategy? LongDocuments { get; init; }

    /// <summary>Tokens consecutive windows share in chunk mode when a request gives none (window_overlap), at most half the window.</summary>
    public int WindowOverlap { get; init; } = Sift.Engine.LongDocuments.WindowOptions.DefaultOverlap;

    /// <summary>The most windows one input may take in chunk mode; longer inputs get 400.</summary>
    public int MaxWindows { get; init; } = Sift.Engine.LongDocuments.WindowOptions.DefaultMaxWindows;

    /// <summary>The most tokens one chunk-mode request may read, every window counted; more gets 400.</summary>
    public int MaxWindowTokens { get; init; } = Sift.Engine.LongDocuments.WindowOptions.DefaultMaxTokens;

    /// <summary>Largest request body in bytes.</summary>
    public long PayloadLimit { get; init; } = 2 * 1024 * 1024;

    /// <summary>Keep weights as int8 (Q8_0) instead of their stored format.</summary>
    public WeightFormat? Quantize { get; init; }

    /// <summary>
    /// A memory budget in bytes for the whole process: the server sizes the tokens per forward
    /// pass, the longest input and the requests in flight to fit it (see <see cref="MemoryPlan"/>). Null: no budget.
    /// </summary>
    public long? MaxMemory { get; init; }

    /// <summary>How long SIGTERM waits for requests in flight before exiting.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The result cache (--cache, --cache-size, --cache-ttl).</summary>
    public Caching.CacheOptions Cache { get; init; } = new();

    /// <summary>The low-confidence check after every ranking (thresholds, analysis queue, --alert-webhook).</summary>
    public Alerts.LowConfidenceOptions LowConfidence { get; init; } = new();

    /// <summary>
    /// How long a collection search waits for the reranker unless the request sets rerank_timeout_ms
    /// (--rerank-timeout); past it the search answers in first-stage order ("fallback_reason": "rerank_timeout"). Null: no limit.
    /// </summary>
    public TimeSpan? RerankTimeout { get; init; }

    /// <summary>Log request texts (queries) in warnings; off by default, so logs hold hashes only.</summary>
    public bool LogTexts { get; init; }

    /// <summary>Where collections live: a data directory (the embedded store), or a postgres:// URL or Host=... connection string.</summary>
    public string Data { get; init; } = Sift.Retrieval.Stores.RetrievalStores.DefaultDirectory;

    /// <summary>The largest the embedded database may grow (writes beyond get 503); null: the disk's size.</summary>
    public long? DataMaxSize { get; init; }

    /// <summary>Serve the web playground at / and /ui (a page that calls this server's API with the key its user types).</summary>
    public bool Playground { get; init; } = true;
}
