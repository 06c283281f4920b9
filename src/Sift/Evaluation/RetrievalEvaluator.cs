using System.Diagnostics;
using Sift.Retrieval;

namespace Sift.Evaluation;

/// <summary>
/// Measures a dataset on the real indexing and search path: the corpus goes into a collection
/// through <see cref="DocumentIndexer"/> (documents already there with the same text are kept), then
/// every judged query is searched through <see cref="SearchPipeline"/> in each <see cref="SearchMode"/>,
/// its documents ranked by score as trec_eval ranks them, and nDCG@10, MRR@10, Recall@100 and the
/// per-query latency are reported.
/// </summary>
/// <param name="store">Where the collection lives.</param>
/// <param name="embedder">The embedding model.</param>
/// <param name="reranker">The reranker, or null (then only dense and hybrid are measured).</param>
public sealed class RetrievalEvaluator(IRetrievalStore store, ITextEmbedder embedder, IPassageReranker? reranker)
{
    /// <summary>Documents per indexing transaction.</summary>
    public const int IndexBatch = 256;

    /// <summary>Indexes <paramref name="dataset"/> into <paramref name="collection"/> (created when missing) and measures every mode.</summary>
    /// <param name="dataset">The BEIR dataset.</param>
    /// <param name="collection">The collection's name.</param>
    /// <param name="topK">Chunks each recall stage returns (and documents a search returns at most): 100 for Recall@100.</param>
    /// <param name="rerankTop">How many candidates the reranker scores; null means all <paramref name="topK"/>.</param>
    /// <param name="progress">Receives one line per step, for people.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    public async Task<EvaluationReport> RunAsync(BeirDataset dataset, string collection, int topK, int? rerankTop, Action<string> progress,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(progress);
        var wall = Stopwatch.StartNew();
        var info = await store.FindCollectionAsync(collection, cancellationToken)
            ?? await store.CreateCollectionAsync(new CollectionSettings { Name = collection, Model = embedder.ModelName, Dimensions = embedder.MaxDimensions }, cancellationToken);
        CollectionModel.Require(info, embedder);

        var indexClock = Stopwatch.StartNew();
        var indexer = new DocumentIndexer(store, embedder);
        var indexed = 0;
        var seen = 0;
        foreach (var batch in dataset.Corpus.Chunk(IndexBatch))
        {
            info = await store.FindCollectionAsync(collection, cancellationToken) ?? throw RetrievalException.CollectionNotFound(collection);
            var report = await indexer.UpsertAsync(info, batch.Select(d => new DocumentInput(d.Id, d.IndexText, DocumentMetadata.Empty)).ToArray(),
                skipUnchanged: true, cancellationToken);
            indexed += report.Upserted;
            seen += batch.Length;
            progress($"indexed {seen}/{dataset.Corpus.Count} documents ({indexed} new or changed)");
        }
        var indexSeconds = indexClock.Elapsed.TotalSeconds;
        info = await store.FindCollectionAsync(collection, cancellationToken) ?? throw RetrievalException.CollectionNotFound(collection);

        var pipeline = new SearchPipeline(store, embedder, reranker);
        var modes = new List<ModeResult>();
        foreach (var mode in SearchMode.All(reranker is not null))
        {
            var rankings = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            var latencies = new List<double>(dataset.JudgedQueryIds.Count);
            foreach (var queryId in dataset.JudgedQueryIds)
            {
                var request = new SearchRequest
                {
                    Query = dataset.Queries[queryId],
                    TopK = topK,
                    TopN = topK,
                    Hybrid = mode.Hybrid,
                    Rerank = mode.Rerank,
                    RerankTop = mode.Rerank ? rerankTop : null,
                };
                var clock = Stopwatch.StartNew();
                var response = await pipeline.SearchAsync(info, request, cancellationToken);
                if (mode.Rerank)
                {
                    response.RequireReranked();
                }
                latencies.Add(clock.Elapsed.TotalMilliseconds);
                rankings[queryId] = RetrievalMetrics.RankByScore(response.Results.Select(h => (h.DocumentId, (double)h.Score)));
            }
            var result = new ModeResult(mode.Name, MetricSummary.Compute(dataset.Judgments, rankings), LatencySummary.FromMilliseconds(latencies));
            modes.Add(result);
            progress($"{mode.Name}: nDCG@10 {result.Metrics.Ndcg10:F4} over {latencies.Count} queries, p50 {result.Latency.P50:F1} ms");
        }
        return new EvaluationReport(dataset.Name, collection, embedder.ModelName, reranker?.ModelName, dataset.Corpus.Count, dataset.JudgedQueryIds.Count,
            indexed, indexSeconds, modes, wall.Elapsed.TotalSeconds);
    }
}
