using System.Diagnostics;
using Sift.Engine;
using Sift.Server.Errors;
using Sift.Server.Metrics;
using Sift.Server.Scheduling;

namespace Sift.Server.Hosting;

/// <summary>
/// The models one server process holds, found by the name a request gives (or by kind when it
/// gives none), each with its scheduler. Models load in the background after the server starts
/// listening, so /health answers at once and /ready tells when requests can be served.
/// </summary>
internal sealed partial class ModelRegistry : IDisposable
{
    private readonly ServerOptions _options;
    private readonly (string? Embedding, string? Reranker) _kinds;
    private readonly MemoryPlan? _memory;
    private readonly ServerMetrics _metrics;
    private readonly ILogger<ModelRegistry> _logger;
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _hashed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lifecycle = new();
    private readonly List<ServedModelDescription> _descriptions = [];
    private ServedEmbedder? _embedder;
    private ServedReranker? _reranker;
    private Timer? _drainDeadline;
    private bool _disposed;

    public ModelRegistry(ServerOptions options, ServerMetrics metrics, ILogger<ModelRegistry> logger, MemoryPlan? memory = null)
    {
        _options = options;
        // Once: for a GGUF --model, telling its kind means opening and parsing the file.
        _kinds = ResolveKinds(options);
        _memory = memory;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Whether every model is loaded.</summary>
    public bool IsReady => _loaded.Task.IsCompletedSuccessfully;

    /// <summary>Completes when loading ends; faults if a model failed to load.</summary>
    public Task Loaded => _loaded.Task;

    /// <summary>Completes when every loaded model's digests and fingerprint are computed, or failed to be (never faults).</summary>
    public Task Hashed => _hashed.Task;

    /// <summary>The loaded models, described (empty until loaded).</summary>
    public IReadOnlyList<ServedModelDescription> Descriptions => IsReady ? _descriptions : [];

    /// <summary>The memory budget the server sized its limits from, if any.</summary>
    public MemoryPlan? Memory => _memory;

    /// <summary>Every name a client may use, with the model's kind.</summary>
    public IEnumerable<(string Name, string Kind)> ServedNames =>
        (_embedder?.Names.Select(n => (n, "embedding")) ?? []).Concat(_reranker?.Names.Select(n => (n, "rerank")) ?? []);

    /// <summary>Loads the models named in the options (called once, off the request path).</summary>
    public void Load()
    {
        try
        {
            if (_memory is not null)
            {
                LogMemoryPlan(_logger, _memory.ToString());
                _metrics.Telemetry.MemoryBudget.Record(_memory.Budget);
            }
            _metrics.Telemetry.MaxBatchTokens.Record(_options.MaxBatchTokens);
            var (embeddingDirectory, rerankerDirectory) = _kinds;
            if (embeddingDirectory is not null)
            {
                var embedder = Load(embeddingDirectory, "embedding", _memory?.EmbeddingMaxLength, _options.ServedModelNames, Embedder.Load, e => e.Name,
                    (names, embedder) => new ServedEmbedder(names, embedder, new EmbeddingScheduler(embedder, names[0], _options.MaxBatchTokens, _metrics)));
                if (!Publish(() => _embedder = embedder, embedder))
                {
                    return;
                }
                _descriptions.Add(new ServedModelDescription(embedder.Names, "embedding", embeddingDirectory, embedder.Embedder.Model, embedder.Embedder.MaxLength));
            }
            if (rerankerDirectory is not null)
            {
                var reranker = Load(rerankerDirectory, "rerank", _memory?.RerankerMaxLength, _options.ServedRerankerNames, Reranker.Load, r => r.Name,
                    (names, reranker) => new ServedReranker(names, reranker, new RerankScheduler(reranker, names[0], _options.MaxBatchTokens, _metrics)));
                if (!Publish(() => _reranker = reranker, reranker))
                {
                    return;
                }
                _descriptions.Add(new ServedModelDescription(reranker.Names, "rerank", rerankerDirectory, reranker.Reranker.Model, reranker.Reranker.MaxLength));
            }
            _loaded.TrySetResult();
            // A model whose files cannot be read now (removed, replaced, an NFS hiccup) still serves from memory, uncached.
            var hashes = _descriptions.Select(description => description.HashAsync(_options.Quantize).ContinueWith(
                t => LogHashFailed(_logger, description.Path, t.Exception!.InnerException!.Message),
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default));
            Task.WhenAll(hashes).ContinueWith(_ => _hashed.TrySetResult(), TaskScheduler.Default);
        }
        catch (Exception e)
        {
            _loaded.TrySetException(e);
            _hashed.TrySetResult();
            throw;
        }
    }

    /// <summary>
    /// Makes a loaded model servable, unless the server stopped while it loaded (SIGTERM during
    /// load): then the model is disposed here, since Dispose has already run and will not see it.
    /// </summary>
    private bool Publish(Action publish, IDisposable served)
    {
        lock (_lifecycle)
        {
            if (!_disposed)
            {
                publish();
                return true;
            }
        }
        served.Dispose();
        _loaded.TrySetCanceled();
        _hashed.TrySetResult();
        return false;
    }

    /// <summary>
    /// Called when SIGTERM starts the drain: requests in flight may finish until shortly before
    /// <paramref name="timeout"/>; then every one still waiting for the model is answered 503, and
    /// running forward passes stop at their next layer, so the process exits within the timeout.
    /// </summary>
    public void BeginDrain(TimeSpan timeout)
    {
        // The last quarter of the timeout, at most a second, is left for writing the 503s.
        var answering = TimeSpan.FromTicks(Math.Min(TimeSpan.TicksPerSecond, timeout.Ticks / 4));
        lock (_lifecycle)
        {
            _drainDeadline ??= new Timer(_ => AbortWork(), null, timeout - answering, Timeout.InfiniteTimeSpan);
        }
    }

    private void AbortWork()
    {
        var reason = new ApiException(StatusCodes.Status503ServiceUnavailable,
            "the server is shutting down and its drain timeout expired before this request finished; retry on another instance", null, "shutting_down");
        lock (_lifecycle)
        {
            if (_disposed)
            {
                return;
            }
            LogDrainExpired(_logger);
            _embedder?.Scheduler.Abort(reason);
            _reranker?.Scheduler.Abort(reason);
        }
    }

    /// <summary>Loads one model with the server's limits, names it, and records its load time.</summary>
    private TServed Load<TModel, TServed>(string path, string kind, int? budgetedLength, IReadOnlyList<string> servedNames, Func<ModelOptions, TModel> load,
        Func<TModel, string> nameOf, Func<IReadOnlyList<string>, TModel, TServed> serve)
    {
        var clock = Stopwatch.StartNew();
        var model = load(new ModelOptions
        {
            Model = path,
            MaxLength = budgetedLength ?? _options.MaxInputLength,
            MaxBatchTokens = _options.MaxBatchTokens,
            Quantize = _options.Quantize,
        });
        var names = servedNames.Count > 0 ? servedNames : [nameOf(model)];
        var served = serve(names, model);
        _metrics.RecordModelLoad(names[0], clock.Elapsed.TotalSeconds);
        LogLoaded(_logger, names[0], kind, clock.Elapsed.TotalSeconds);
        return served;
    }

    /// <summary>What each model named in the options will hold in memory, read from its headers (for the memory budget).</summary>
    public static IReadOnlyList<ModelFootprint> Footprints(ServerOptions options)
    {
        var (embedding, reranker) = ResolveKinds(options);
        var models = new List<ModelFootprint>();
        foreach (var (path, kind) in new[] { (embedding, ModelKind.Embedding), (reranker, ModelKind.Reranker) })
        {
            if (path is not null)
            {
                models.Add(ModelFootprint.Estimate(new ModelOptions { Model = path, MaxLength = options.MaxInputLength, Quantize = options.Quantize }, kind));
            }
        }
        return models;
    }

    /// <summary>
    /// --model is the embedding model unless, with no --reranker given, it is a reranker: a GGUF
    /// file says so (pooling type "rank"); a directory's config cannot (both kinds are
    /// Qwen3ForCausalLM), so its name decides ("rerank" in it, as in Qwen3-Reranker-0.6B).
    /// </summary>
    public static (string? Embedding, string? Reranker) ResolveKinds(ServerOptions options)
    {
        if (options.Model is null && options.Reranker is null)
        {
            throw new ArgumentException("give --model (an embedding model) and/or --reranker");
        }
        if (options.Model is { } model && options.Reranker is null && IsReranker(model))
        {
            return (null, model);
        }
        return (options.Model, options.Reranker);
    }

    private static bool IsReranker(string model)
    {
        if (Checkpoints.Gguf.GgufFile.IsGgufFile(model))
        {
            using var gguf = Checkpoints.Gguf.GgufCheckpoint.Open(model);
            return gguf.IsReranker;
        }
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(model));
        // A hub snapshot directory is named by its commit; the repository folder above it carries the name.
        var repository = Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(model))) ?? "");
        return name.Contains("rerank", StringComparison.OrdinalIgnoreCase) || repository.Contains("rerank", StringComparison.OrdinalIgnoreCase);
    }

    public ServedEmbedder GetEmbedder(string? name) => Find(_embedder, name, "embedding");

    /// <summary>The tokenizer of the named model, or of the embedding model (else the reranker) when no name is given.</summary>
    public Tokenization.Tokenizer GetTokenizer(string? name) => GetTokenizing(name).Tokenizer;

    /// <summary>As <see cref="GetTokenizer"/>, with that model's input length limit (in tokens).</summary>
    public (Tokenization.Tokenizer Tokenizer, int MaxLength) GetTokenizing(string? name)
    {
        var embedding = name is null ? _embedder is not null || _reranker is null : _embedder?.Names.Contains(name, StringComparer.Ordinal) == true;
        if (embedding)
        {
            var embedder = GetEmbedder(name).Embedder;
            return (embedder.Tokenizer, embedder.MaxLength);
        }
        var reranker = GetReranker(name).Reranker;
        return (reranker.Tokenizer, reranker.MaxLength);
    }

    public ServedReranker GetReranker(string? name) => Find(_reranker, name, "rerank");

    /// <summary>Whether the options name a reranker (loaded or not yet).</summary>
    public bool HasReranker => _kinds.Reranker is not null;

    /// <summary>The reranker's first served name (what alerts and traces name it by); "reranker" while it loads.</summary>
    public string RerankerName => _reranker?.Name ?? "reranker";

    public void Dispose()
    {
        lock (_lifecycle)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            _drainDeadline?.Dispose();
        }
        _loaded.TrySetCanceled();
        _hashed.TrySetResult();
        _embedder?.Dispose();
        _reranker?.Dispose();
        if (_embedder is { ModelFreed: false })
        {
            LogPassStillRunning(_logger, _embedder.Name);
        }
        if (_reranker is { ModelFreed: false })
        {
            LogPassStillRunning(_logger, _reranker.Name);
        }
    }

    private T Find<T>(T? served, string? name, string kind) where T : class, IServedModel
    {
        // A model serves as soon as it is loaded: the embedding model (loaded first) need not wait for
        // the reranker, so searches answer, in vector order, while the reranker still loads.
        if (served is null && !IsReady)
        {
            throw new ApiException(StatusCodes.Status503ServiceUnavailable, "the models are still loading; retry when /ready answers 200", null, "not_ready");
        }
        if (served is null)
        {
            throw ApiException.BadRequest($"this server has no {kind} model; it serves: {string.Join(", ", ServedNames.Select(n => $"{n.Name} ({n.Kind})"))}",
                "model", "model_not_found");
        }
        if (name is not null && !served.Names.Contains(name, StringComparer.Ordinal))
        {
            throw ApiException.BadRequest($"model '{name}' is not served; {kind} models here: {string.Join(", ", served.Names)}", "model", "model_not_found");
        }
        return served;
    }

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "could not hash the files of {Path}: {Message}; its results are not cached")]
    private static partial void LogHashFailed(ILogger logger, string path, string message);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "{Plan}")]
    private static partial void LogMemoryPlan(ILogger logger, string plan);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "loaded {Model} ({Kind}) in {Seconds:F1} s")]
    private static partial void LogLoaded(ILogger logger, string model, string kind, double seconds);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "the drain timeout expired: requests still waiting for a model are answered 503")]
    private static partial void LogDrainExpired(ILogger logger);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "a forward pass of {Model} did not stop when aborted; the model is left to the operating system instead of waiting for the pass")]
    private static partial void LogPassStillRunning(ILogger logger, string model);
}

/// <summary>A loaded model and the names it answers to.</summary>
internal interface IServedModel
{
    IReadOnlyList<string> Names { get; }
}

internal sealed record ServedEmbedder(IReadOnlyList<string> Names, Embedder Embedder, EmbeddingScheduler Scheduler) : IServedModel, IDisposable
{
    public string Name => Names[0];

    /// <summary>Whether <see cref="Dispose"/> freed the model (false when a pass that ignored the abort still runs).</summary>
    public bool ModelFreed { get; private set; }

    /// <summary>Stops the scheduler (queued work first), then frees the model unless a pass still reads it.</summary>
    public void Dispose() => ModelFreed = Scheduler.StopThenFree(Embedder);
}

internal sealed record ServedReranker(IReadOnlyList<string> Names, Reranker Reranker, RerankScheduler Scheduler) : IServedModel, IDisposable
{
    public string Name => Names[0];

    /// <summary>Whether <see cref="Dispose"/> freed the model (false when a pass that ignored the abort still runs).</summary>
    public bool ModelFreed { get; private set; }

    /// <summary>Stops the scheduler (queued work first), then frees the model unless a pass still reads it.</summary>
    public void Dispose() => ModelFreed = Scheduler.StopThenFree(Reranker);
}
