using Sift.Retrieval;
using Sift.Retrieval.Stores;
using Sift.Server.Errors;
using Sift.Server.Hosting;

namespace Sift.Server.Retrieval;

/// <summary>
/// The server's retrieval services: the store chosen by --data, opened once at start and closed at
/// shutdown, and the indexer and search pipeline wired to the served models for each collection.
/// </summary>
internal sealed partial class RetrievalHost(ServerOptions options, ModelRegistry registry, ILogger<RetrievalHost> logger) : IAsyncDisposable
{
    private readonly RerankOutage _outage = new();
    private IRetrievalStore? _store;

    /// <summary>The store; 503 until it is open.</summary>
    public IRetrievalStore Store => _store ?? throw new ApiException(StatusCodes.Status503ServiceUnavailable, "the data store is still opening; retry shortly", null, "not_ready");

    /// <summary>Opens the store (called once at start-up, before the server listens).</summary>
    public void Open()
    {
        _store = RetrievalStores.OpenAsync(options.Data, options.DataMaxSize, logger, CancellationToken.None).GetAwaiter().GetResult();
        LogOpened(logger, _store.Description);
    }

    /// <summary>The collection, or 404.</summary>
    public async Task<CollectionInfo> GetCollectionAsync(string name, CancellationToken cancellationToken) =>
        await Store.FindCollectionAsync(name, cancellationToken) ?? throw RetrievalException.CollectionNotFound(name);

    /// <summary>
    /// The indexer for a collection, with the collection's embedding model (409 when this server does not
    /// serve it); an upsert makes at most --max-client-batch-size chunks, as /v1/embeddings makes at most that many vectors.
    /// </summary>
    public DocumentIndexer IndexerFor(CollectionInfo collection) => new(Store, EmbedderFor(collection), options.MaxClientBatchSize);

    /// <summary>
    /// Wraps the reranker each search uses (null: as served). A seam for what sits between the
    /// pipeline and the model: tests put a failing or slow reranker here to see every fallback.
    /// </summary>
    internal Func<IPassageReranker, IPassageReranker>? RerankerDecorator { get; set; }

    /// <summary>
    /// Wraps the embedder each search and upsert uses (null: as served), as <see cref="RerankerDecorator"/>
    /// does the reranker: tests hold a search's computation here to see concurrent searches share it.
    /// </summary>
    internal Func<ITextEmbedder, ITextEmbedder>? EmbedderDecorator { get; set; }

    /// <summary>
    /// The search pipeline for a collection: its embedding model, and the reranker when the server has
    /// one (loaded or still loading: a search then falls back with "reranker_not_loaded").
    /// </summary>
    public SearchPipeline PipelineFor(CollectionInfo collection)
    {
        IPassageReranker? reranker = registry.HasReranker ? new ServedPassageReranker(registry) : null;
        if (reranker is not null && RerankerDecorator is { } decorate)
        {
            reranker = decorate(reranker);
        }
        return new SearchPipeline(Store, EmbedderFor(collection), reranker, logger, _outage);
    }

    /// <summary>The served embedder a new collection will use: the named one, or the server's one embedding model.</summary>
    public ITextEmbedder EmbedderNamed(string? model) => new ScheduledTextEmbedder(registry.GetEmbedder(model));

    private ITextEmbedder EmbedderFor(CollectionInfo collection)
    {
        var model = collection.Settings.Model;
        var served = registry.ServedNames.Where(n => n.Kind == "embedding").Select(n => n.Name).ToArray();
        if (!served.Contains(model, StringComparer.Ordinal))
        {
            // Readiness first: while models load, the answer is 503, not a conflict.
            registry.GetEmbedder(null);
            throw RetrievalException.Conflict(
                $"collection '{collection.Name}' was built with the embedding model '{model}', which this server does not serve (it serves: {string.Join(", ", served)}); "
                + "vectors of different models cannot be compared", "model", "model_mismatch");
        }
        var embedder = new ScheduledTextEmbedder(registry.GetEmbedder(model));
        return EmbedderDecorator is { } decorate ? decorate(embedder) : embedder;
    }

    public async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    [LoggerMessage(EventId = 30, Level = LogLevel.Information, Message = "data store: {Store}")]
    private static partial void LogOpened(ILogger logger, string store);
}
