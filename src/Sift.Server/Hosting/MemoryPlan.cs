using Sift.Engine;

namespace Sift.Server.Hosting;

/// <summary>
/// How the server fits a memory budget (--max-memory), decided once at start-up from the models'
/// headers before they load: the runtime, the weights and the requests in flight take what they
/// take; forward passes get the rest, which sets the tokens per pass (--max-batch-tokens) and the
/// longest input each model admits. Batches never hold more keys and values than the tokens per
/// pass, so the largest admitted batch fits by construction.
/// </summary>
public sealed record MemoryPlan
{
    /// <summary>
    /// Resident memory of the process before any model: the runtime, ASP.NET Core, OpenTelemetry,
    /// JIT-compiled code, thread stacks. Measured: 140 MiB for a server with the fixture models
    /// (their weights and tokenizers subtracted), rounded up.
    /// </summary>
    public const long RuntimeBytes = 160L << 20;

    /// <summary>Of the runtime's share, what is not managed heap (code, stacks, native libraries): the managed heap limit leaves it out.</summary>
    public const long NativeRuntimeBytes = 96L << 20;

    /// <summary>The smallest forward pass worth serving; a budget that cannot hold it is refused at start-up.</summary>
    public const int MinBatchTokens = 256;

    /// <summary>
    /// What one in-process result cache entry costs beside its vector: the key (a SHA-256 in hex),
    /// MemoryCache's and HybridCache's bookkeeping. Measured: 488 bytes at 64 and 1024 dimensions.
    /// </summary>
    public const long CacheEntryOverheadBytes = 512;

    /// <summary>At most this share of what the weights leave goes to the in-process result cache.</summary>
    private const double CacheShare = 0.125;

    /// <summary>Room for fewer embeddings than this is not worth trimming to: it costs well under a megabyte.</summary>
    private const int MinCacheEntries = 100;

    /// <summary>At most this share of what the weights leave goes to requests in flight.</summary>
    private const double RequestShare = 0.25;

    /// <summary>The budget in bytes.</summary>
    public required long Budget { get; init; }

    /// <summary>Tokens (and key/value rows) per forward pass.</summary>
    public required int MaxBatchTokens { get; init; }

    /// <summary>The longest input of the embedding model (null without one).</summary>
    public int? EmbeddingMaxLength { get; init; }

    /// <summary>The longest query–document prompt of the reranker (null without one).</summary>
    public int? RerankerMaxLength { get; init; }

    /// <summary>Requests in flight (--max-concurrent-requests, lowered when their bodies and results would not fit).</summary>
    public required int MaxConcurrentRequests { get; init; }

    /// <summary>The runtime's share (<see cref="RuntimeBytes"/>) plus each model's tokenizer.</summary>
    public required long RuntimeAndTokenizerBytes { get; init; }

    /// <summary>The weights as loaded, plus the largest layer's stored tensors while it is packed.</summary>
    public required long WeightBytes { get; init; }

    /// <summary>
    /// Entries the in-process result cache may hold: --cache-size, or fewer when that many of the
    /// widest model's embeddings would not fit <see cref="CacheBytes"/>; 0 with --cache none.
    /// </summary>
    public required int CacheEntries { get; init; }

    /// <summary>
    /// The in-process result cache's bound in bytes: --cache-memory, or less when that would take more
    /// than an eighth of what the runtime and weights leave, but at least its largest admitted entry.
    /// </summary>
    public required long CacheBytes { get; init; }

    /// <summary>Forward passes at <see cref="MaxBatchTokens"/>: workspace, keys and values (shared prefixes among them), kernel scratch.</summary>
    public required long PassBytes { get; init; }

    /// <summary>Requests in flight at their worst: bodies at the payload limit, results at the client batch limit.</summary>
    public required long RequestBytes { get; init; }

    /// <summary>The managed heap's hard limit: the budget less the native parts (weights, workspace, scratch, the runtime's native share).</summary>
    public required long ManagedHeapLimit { get; init; }

    /// <summary>Plans <paramref name="budget"/> bytes for <paramref name="models"/> under the server's other limits.</summary>
    /// <exception cref="MemoryBudgetException">The budget cannot hold the weights, one request and a <see cref="MinBatchTokens"/>-token pass.</exception>
    public static MemoryPlan Create(long budget, IReadOnlyList<ModelFootprint> models, ServerOptions options, int threads)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(options);
        var runtime = RuntimeBytes + models.Count * ModelFootprint.TokenizerBytes;
        var weights = models.Sum(m => m.Weights.ResidentBytes) + models.Max(m => m.Weights.LargestStoredLayerBytes);
        var hidden = models.Max(m => m.Config.HiddenSize);
        // A request's body parsed (the document, its strings, the token ids: about 4× the body), its vectors and their JSON (3× 4 bytes a value).
        // A body larger than the whole budget cannot fit whatever the rest takes; capping it there keeps 4× from overflowing.
        var perRequest = 4 * Math.Min(options.PayloadLimit, budget) + (long)options.MaxClientBatchSize * hidden * 3 * sizeof(float);
        long Passes(int tokens) => models.Sum(m => m.PassBytes(tokens, Math.Min(tokens, m.MaxLength))) + ModelFootprint.KernelScratchBytes(models, tokens, threads);

        // The cache (in process with either backend) is bounded in bytes: --cache-memory, or an eighth of what the runtime and
        // weights leave when that is less, but never less than its largest entry (a search at --cache-max-entry) or
        // MinCacheEntries embeddings; like the pass size, it shrinks to fit the budget rather than refuse it. Its entry
        // count (--cache-size) is bounded too, by what the bytes hold of the widest model's embeddings at most.
        var entryBytes = hidden * sizeof(float) + CacheEntryOverheadBytes;
        var smallestCache = Math.Max(MinCacheEntries * entryBytes, Caching.ByteBoundedMemoryCache.Charge(Retrieval.CollectionSearch.Kind, options.Cache.MaxEntryBytes));
        var cache = options.Cache.Backend == Caching.CacheBackend.None ? 0
            : Math.Min(options.Cache.MaxBytes, Math.Max(smallestCache, (long)(CacheShare * Math.Max(0, budget - runtime - weights))));
        var cacheEntries = (int)Math.Min(options.Cache.Size, cache / entryBytes);
        var fixedBytes = runtime + weights + cache;
        var smallest = fixedBytes + perRequest + Passes(MinBatchTokens);
        if (budget < smallest)
        {
            throw new MemoryBudgetException(
                $"--max-memory {Mib(budget)} is too small: the runtime and tokenizers take {Mib(runtime)}, the weights {Mib(weights)}, "
                + $"the result cache at {cacheEntries} entries {Mib(cache)}, "
                + $"one request at --payload-limit {Mib(options.PayloadLimit)} {Mib(perRequest)}, a {MinBatchTokens}-token pass {Mib(Passes(MinBatchTokens))}; "
                + $"at least {Mib(smallest)} is needed");
        }
        var spare = budget - fixedBytes;
        var concurrency = (int)Math.Clamp(Math.Min((long)(RequestShare * spare) / perRequest, (spare - Passes(MinBatchTokens)) / perRequest),
            1, options.MaxConcurrentRequests);
        var requests = concurrency * perRequest;
        var cap = Math.Max(MinBatchTokens, options.MaxBatchTokens);
        var tokens = LargestFitting(MinBatchTokens, cap, t => fixedBytes + requests + Passes(t) <= budget);
        var native = models.Sum(m => m.Weights.PackedLayerBytes + Qwen3.WorkspaceSize.Largest(m.Config, tokens).Bytes)
            + models.Max(m => m.Weights.LargestStoredLayerBytes) + ModelFootprint.KernelScratchBytes(models, tokens, threads);
        int? LengthOf(ModelKind kind) => models.FirstOrDefault(m => m.Kind == kind) is { } model ? Math.Min(tokens, model.MaxLength) : null;
        return new MemoryPlan
        {
            Budget = budget,
            MaxBatchTokens = tokens,
            EmbeddingMaxLength = LengthOf(ModelKind.Embedding),
            RerankerMaxLength = LengthOf(ModelKind.Reranker),
            MaxConcurrentRequests = concurrency,
            RuntimeAndTokenizerBytes = runtime,
            WeightBytes = weights,
            CacheEntries = cacheEntries,
            CacheBytes = cache,
            PassBytes = Passes(tokens),
            RequestBytes = requests,
            // The embedding table is a mapped file, outside the managed heap as well.
            ManagedHeapLimit = budget - native - models.Sum(m => m.Weights.EmbeddingBytes) - NativeRuntimeBytes,
        };
    }

    /// <summary>The plan in one line, for the start-up log.</summary>
    public override string ToString() =>
        $"memory budget {Mib(Budget)}: runtime and tokenizers {Mib(RuntimeAndTokenizerBytes)}, weights {Mib(WeightBytes)}, result cache {CacheEntries} entries {Mib(CacheBytes)}, "
        + $"{MaxConcurrentRequests} requests in flight {Mib(RequestBytes)}, forward passes {Mib(PassBytes)} "
        + $"-> --max-batch-tokens {MaxBatchTokens}"
        + (EmbeddingMaxLength is { } e ? $", longest embedding input {e} tokens" : "")
        + (RerankerMaxLength is { } r ? $", longest rerank prompt {r} tokens" : "")
        + $", --max-concurrent-requests {MaxConcurrentRequests}, managed heap at most {Mib(ManagedHeapLimit)}";

    private static int LargestFitting(int low, int high, Func<int, bool> fits)
    {
        // fits(low) holds (checked by the caller); find the largest value that fits, by bisection (memory grows with tokens).
        while (low < high)
        {
            var middle = low + (high - low + 1) / 2;
            (low, high) = fits(middle) ? (middle, high) : (low, middle - 1);
        }
        return low;
    }

    private static string Mib(long bytes) => $"{bytes / 1048576.0:F0} MiB";
}
