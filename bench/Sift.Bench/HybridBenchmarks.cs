using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Sift.Evaluation;
using Sift.Retrieval;
using Sift.Retrieval.Lexical;
using Sift.Retrieval.Stores.Embedded;

namespace Sift.Bench;

/// <summary>
/// Issue 14's measurements. <c>lexical-index</c>: the cost of the lexical index alone (analysis, FTS5
/// inserts in one transaction, keyword queries) over a BEIR corpus. <c>eval</c>: <see cref="RetrievalEvaluator"/>
/// (indexing and every search mode) with random-weight models of a real shape built in memory.
/// </summary>
internal static class HybridBenchmarks
{
    public static void RunLexicalIndex(BenchOptions options)
    {
        var dataset = BeirDataset.Load(options.Beir ?? throw new ArgumentException("--beir DIR is required"));
        var texts = dataset.Corpus.Select(d => d.IndexText).ToArray();
        var characters = texts.Sum(t => (long)t.Length);
        LexicalAnalyzer.DocumentTerms(texts[0]);

        var best = double.MaxValue;
        var terms = 0L;
        for (var round = 0; round < options.Rounds; round++)
        {
            var clock = Stopwatch.StartNew();
            terms = texts.Sum(t => (long)LexicalAnalyzer.DocumentTerms(t).Count);
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }

        var directory = Directory.CreateTempSubdirectory("sift-bench-lexical-").FullName;
        try
        {
            using var connection = new SqliteConnection($"Data Source={Path.Combine(directory, "lexical.db")};Pooling=False");
            connection.Open();
            using (var wal = connection.CreateCommand())
            {
                wal.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;";
                wal.ExecuteNonQuery();
            }
            SqliteLexicalIndex.Create(connection, null, 1);
            var insert = Stopwatch.StartNew();
            using (var transaction = connection.BeginTransaction())
            {
                SqliteLexicalIndex.Add(connection, transaction, 1, texts.Select((t, i) => ((long)i + 1, t)));
                transaction.Commit();
            }
            var insertSeconds = insert.Elapsed.TotalSeconds;

            var queries = dataset.JudgedQueryIds.Select(id => dataset.Queries[id]).ToArray();
            SqliteLexicalIndex.Search(connection, null, 1, queries[0], 100);
            var latencies = new List<double>();
            foreach (var query in queries)
            {
                var clock = Stopwatch.StartNew();
                SqliteLexicalIndex.Search(connection, null, 1, query, 100);
                latencies.Add(clock.Elapsed.TotalMilliseconds);
            }
            var summary = LatencySummary.FromMilliseconds(latencies);
            Console.WriteLine($"workload lexical-index: {texts.Length} documents, {characters / 1e6:F2} M characters, {terms / 1e6:F2} M terms");
            Console.WriteLine($"  analysis alone (best of {options.Rounds}): {best:F2} s = {texts.Length / best:F0} documents/s, {characters / best / 1e6:F2} M chars/s");
            Console.WriteLine($"  analysis + FTS5 insert + commit (WAL, synchronous=FULL, one transaction): {insertSeconds:F2} s = {texts.Length / insertSeconds:F0} documents/s");
            Console.WriteLine($"  top-100 keyword query, {queries.Length} queries: p50 {summary.P50:F2} ms, p95 {summary.P95:F2} ms, mean {summary.Mean:F2} ms");
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    public static async Task RunEvalAsync(BenchOptions options)
    {
        var dataset = BeirDataset.Load(options.Beir ?? throw new ArgumentException("--beir DIR is required"));
        using var engine = RandomEngine.Create(options);
        var directory = Directory.CreateTempSubdirectory("sift-bench-eval-").FullName;
        try
        {
            await using var store = EmbeddedStore.Open(new EmbeddedStoreOptions { Directory = directory }, NullLogger.Instance);
            var evaluator = new RetrievalEvaluator(store, new EngineTextEmbedder(engine.Embedder), new EnginePassageReranker(engine.Reranker));
            var report = await evaluator.RunAsync(dataset, "bench", options.TopK, options.RerankTop, line => Console.Error.WriteLine(line), CancellationToken.None);
            Console.WriteLine($"workload eval: shape {options.Shape} {options.Precision}, {report.Documents} documents, {report.Queries} queries, "
                + $"top_k {options.TopK}, rerank_top {options.RerankTop?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "all"}, threads {options.Threads}");
            Console.WriteLine($"  indexing {report.IndexSeconds:F1} s ({report.Documents / report.IndexSeconds:F1} documents/s); run {report.WallSeconds:F1} s");
            foreach (var mode in report.Modes)
            {
                Console.WriteLine($"  {mode.Mode,-14} nDCG@10 {mode.Metrics.Ndcg10:F4}  MRR@10 {mode.Metrics.Mrr10:F4}  Recall@100 {mode.Metrics.Recall100:F4}  "
                    + $"p50 {mode.Latency.P50:F1} ms  p95 {mode.Latency.P95:F1} ms  mean {mode.Latency.Mean:F1} ms");
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
