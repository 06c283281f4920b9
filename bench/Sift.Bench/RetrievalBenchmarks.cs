using System.Diagnostics;
using System.Numerics.Tensors;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Sift.Engine;
using Sift.Kernels;
using Sift.Qwen3;
using Sift.Retrieval;
using Sift.Retrieval.Stores.Embedded;
using Sift.Retrieval.Stores.Postgres;
using Sift.Tokenization;

namespace Sift.Bench;

/// <summary>
/// The retrieval issue's measurements, one JSON line each:
/// "vector": the embedded vector stage alone (exact scan and USearch HNSW) on clustered unit vectors;
/// "pgvector": the same against PostgreSQL + pgvector (a running server, --connection);
/// "search": indexing throughput and two-stage search latency by stage at a model shape (random weights), beside W1.
/// </summary>
internal static class RetrievalBenchmarks
{
    public static async Task RunAsync(BenchOptions options, string[] args)
    {
        string? Value(string name) => Array.IndexOf(args, name) is >= 0 and var i && i + 1 < args.Length ? args[i + 1] : null;
        int Int(string name, int fallback) => int.TryParse(Value(name), out var value) ? value : fallback;
        switch (options.Workload)
        {
            case "vector":
                Vector(Int("--count", 100_000), Int("--dimensions", 1024), Int("--queries", 200));
                break;
            case "pgvector":
                await PgvectorAsync(Value("--connection") ?? throw new ArgumentException("--connection HOST=...;PORT=... is required"),
                    Int("--count", 10_000), Int("--dimensions", 1024), Int("--queries", 100));
                break;
            case "search":
                await SearchAsync(options, Int("--documents", 128), Int("--searches", 5));
                break;
            default:
                throw new ArgumentException($"unknown workload {options.Workload}");
        }
    }

    private static void Vector(int count, int dimensions, int queries)
    {
        var clock = Stopwatch.StartNew();
        var vectors = Clustered(count + queries, dimensions, clusters: 256, seed: 1);
        var query = vectors[count..];
        var generateSeconds = clock.Elapsed.TotalSeconds;
        var rssBefore = RssMegabytes();
        var directory = Directory.CreateTempSubdirectory("sift-bench-vector-").FullName;
        try
        {
            var file = new IndexFile(directory, 1);
            using var collection = new CollectionVectors("bench", dimensions, 0, file, NullLogger.Instance);
            for (var i = 0; i < count; i++)
            {
                collection.Load(i, vectors[i]);
            }
            var arenaMb = RssMegabytes() - rssBefore;
            // Exact scans at growing sizes choose ExactSearchMaxChunks.
            var exact = Enumerable.Range(0, queries).Select(q => collection.Search(query[q], 100, null)).ToArray();
            var exactTimes = Time(queries, q => collection.Search(query[q], 100, null));
            clock.Restart();
            collection.Open();
            collection.BuildCompletion.Wait();
            var buildSeconds = clock.Elapsed.TotalSeconds;
            var indexMb = RssMegabytes() - rssBefore - arenaMb;
            var annTimes = Time(queries, q => collection.Search(query[q], 100, null));
            var recall10 = Enumerable.Range(0, queries).Average(q =>
                collection.Search(query[q], 10, null).Select(h => h.Key).Intersect(exact[q].Take(10).Select(h => h.Key)).Count() / 10.0);
            var recall100 = Enumerable.Range(0, queries).Average(q =>
                collection.Search(query[q], 100, null).Select(h => h.Key).Intersect(exact[q].Select(h => h.Key)).Count() / 100.0);
            var sizes = new[] { 1024, 4096, 8192, 16384, 65536 }.Where(s => s < count).ToArray();
            var exactBySize = sizes.ToDictionary(s => s.ToString(System.Globalization.CultureInfo.InvariantCulture), s =>
            {
                var arena = new VectorArena(dimensions);
                for (var i = 0; i < s; i++)
                {
                    arena.Add(i, vectors[i]);
                }
                return Percentile(Time(Math.Min(queries, 50), q => arena.Search(query[q], 100, null)), 0.5);
            });
            Print(new()
            {
                ["workload"] = "vector",
                ["chunks"] = count,
                ["dimensions"] = dimensions,
                ["queries"] = queries,
                ["generate_s"] = Math.Round(generateSeconds, 1),
                ["hnsw_build_s"] = Math.Round(buildSeconds, 1),
                ["recall_at_10"] = Math.Round(recall10, 4),
                ["recall_at_100"] = Math.Round(recall100, 4),
                ["hnsw_top100_p50_ms"] = Percentile(annTimes, 0.5),
                ["hnsw_top100_p99_ms"] = Percentile(annTimes, 0.99),
                ["exact_top100_p50_ms"] = Percentile(exactTimes, 0.5),
                ["exact_top100_p99_ms"] = Percentile(exactTimes, 0.99),
                ["exact_top100_p50_ms_by_size"] = exactBySize,
                ["arena_mb"] = arenaMb,
                ["hnsw_mb"] = indexMb,
                ["peak_rss_mb"] = PeakRssMegabytes(),
            });
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task PgvectorAsync(string connection, int count, int dimensions, int queries)
    {
        var vectors = Clustered(count + queries, dimensions, clusters: 64, seed: 2);
        var query = vectors[count..];
        await using var store = await PostgresStore.OpenAsync(new PostgresStoreOptions { ConnectionString = connection }, CancellationToken.None);
        var name = $"bench{Environment.ProcessId}";
        await store.DeleteCollectionAsync(name, CancellationToken.None);
        await store.CreateCollectionAsync(new CollectionSettings { Name = name, Model = "bench", Dimensions = dimensions }, CancellationToken.None);
        var clock = Stopwatch.StartNew();
        const int batch = 250;
        for (var start = 0; start < count; start += batch)
        {
            var documents = Enumerable.Range(start, Math.Min(batch, count - start))
                .Select(i => new IndexedDocument(new DocumentInput($"d{i}", "t", DocumentMetadata.Empty), [0], [new EmbeddedChunk(0, "t", vectors[i])])).ToArray();
            await store.UpsertAsync(name, documents, CancellationToken.None);
        }
        var buildSeconds = clock.Elapsed.TotalSeconds;
        var times = new List<double>();
        double recall10 = 0;
        for (var q = 0; q < queries; q++)
        {
            var watch = Stopwatch.StartNew();
            var found = await store.SearchAsync(name, query[q], 100, DocumentMetadata.Empty, CancellationToken.None);
            times.Add(watch.Elapsed.TotalMilliseconds);
            var exact = Enumerable.Range(0, count).OrderByDescending(i => TensorPrimitives.Dot(vectors[i], query[q])).Take(10).Select(i => $"d{i}");
            recall10 += found.Take(10).Select(m => m.DocumentId).Intersect(exact).Count() / 10.0;
        }
        await store.DeleteCollectionAsync(name, CancellationToken.None);
        Print(new()
        {
            ["workload"] = "pgvector",
            ["chunks"] = count,
            ["dimensions"] = dimensions,
            ["queries"] = queries,
            ["insert_with_hnsw_s"] = Math.Round(buildSeconds, 1),
            ["recall_at_10"] = Math.Round(recall10 / queries, 4),
            ["top100_p50_ms"] = Percentile(times, 0.5),
            ["top100_p99_ms"] = Percentile(times, 0.99),
        });
    }

    private static async Task SearchAsync(BenchOptions options, int documents, int searches)
    {
        var config = ModelShapes.Get(options.Shape);
        var tokenizer = Tokenizer.Load(options.Model ?? BenchPaths.Tokenizer);
        using var pool = new WorkerPool(options.Threads);
        using var checkpoint = new RandomCheckpoint(config);
        WeightFormat? format = options.Precision == "int8" ? WeightFormat.Int8 : null;
        var model = Qwen3Model.Load(config, checkpoint, pool, format);
        var loaded = LoadedModel.Create(options.Shape, model, tokenizer, config.MaxPositionEmbeddings, options.MaxBatchTokens);
        var embedder = new Embedder(loaded);
        var reranker = new Reranker(loaded);
        var text = new TextGenerator(tokenizer, seed: 4242);

        var w1 = Enumerable.Range(0, 64).Select(_ => EmbeddingInput.Tokens(text.TokenIds(255))).ToArray();
        embedder.Embed(w1[..2]);
        var directory = Directory.CreateTempSubdirectory("sift-bench-search-").FullName;
        try
        {
            await using var store = EmbeddedStore.Open(new EmbeddedStoreOptions { Directory = directory }, NullLogger.Instance);
            var inputs = Enumerable.Range(0, documents).Select(i => new DocumentInput($"d{i:D5}", text.Text(127), DocumentMetadata.Empty)).ToArray();
            var indexer = new DocumentIndexer(store, new EngineTextEmbedder(embedder));
            // W1 (the engine's own rate, which indexing should reach) and indexing alternate, best of each:
            // on a shared machine the load changes between runs, and the best round is the least disturbed.
            var w1Rate = 0.0;
            var indexRate = 0.0;
            var indexSeconds = double.MaxValue;
            var tokens = 0L;
            for (var round = 0; round < Math.Max(1, options.Rounds); round++)
            {
                var clock = Stopwatch.StartNew();
                embedder.Embed(w1);
                w1Rate = Math.Max(w1Rate, 64 * 256 / clock.Elapsed.TotalSeconds);
                var name = round == 0 ? "bench" : $"bench{round}";
                await store.CreateCollectionAsync(new CollectionSettings
                {
                    Name = name, Model = embedder.Name, Dimensions = embedder.Dimensions, ChunkTokens = 128, ChunkOverlap = 16,
                }, CancellationToken.None);
                clock.Restart();
                tokens = 0;
                foreach (var batch in inputs.Chunk(64))
                {
                    var collection = (await store.FindCollectionAsync(name, CancellationToken.None))!;
                    tokens += (await indexer.UpsertAsync(collection, batch, skipUnchanged: true, CancellationToken.None)).Tokens;
                }
                indexSeconds = Math.Min(indexSeconds, clock.Elapsed.TotalSeconds);
                indexRate = Math.Max(indexRate, tokens / clock.Elapsed.TotalSeconds);
            }

            var pipeline = new SearchPipeline(store, new EngineTextEmbedder(embedder), new EnginePassageReranker(reranker));
            var request = new SearchRequest { Query = text.Text(16), TopK = 100, RerankTop = 20, TopN = 10 };
            await pipeline.SearchAsync("bench", request, CancellationToken.None);
            var responses = new List<SearchResponse>();
            for (var s = 0; s < searches; s++)
            {
                responses.Add(await pipeline.SearchAsync("bench", request with { Query = text.Text(16) }, CancellationToken.None));
            }
            double Median(Func<SearchTimings, double> stage) => Percentile(responses.Select(r => stage(r.Timings)).ToList(), 0.5);
            Print(new()
            {
                ["workload"] = "search",
                ["shape"] = options.Shape,
                ["precision"] = options.Precision,
                ["documents"] = documents,
                ["chunk_tokens"] = 128,
                ["index_tokens"] = tokens,
                ["index_seconds"] = Math.Round(indexSeconds, 2),
                ["index_documents_per_s"] = Math.Round(documents / indexSeconds, 2),
                ["index_tokens_per_s"] = Math.Round(indexRate, 1),
                ["w1_tokens_per_s"] = Math.Round(w1Rate, 1),
                ["index_vs_w1"] = Math.Round(indexRate / w1Rate, 3),
                ["rounds"] = Math.Max(1, options.Rounds),
                ["searches"] = searches,
                ["top_k"] = 100,
                ["rerank_top"] = 20,
                ["top_n"] = 10,
                ["search_p50_ms"] = Median(t => t.Total),
                ["embed_p50_ms"] = Median(t => t.Embed),
                ["vector_p50_ms"] = Median(t => t.Vector),
                ["rerank_p50_ms"] = Median(t => t.Rerank),
                ["rerank_tokens"] = responses[0].RerankTokens,
                ["threads"] = options.Threads,
            });
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
            model.Dispose();
        }
    }

    /// <summary>Unit vectors around random centres (real embeddings cluster by topic; uniform noise would make every neighbour equally far).</summary>
    private static float[][] Clustered(int count, int dimensions, int clusters, int seed)
    {
        var random = new Random(seed);
        float[] Gaussian(float scale)
        {
            var values = new float[dimensions];
            for (var i = 0; i < dimensions; i++)
            {
                values[i] = scale * (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
            }
            return values;
        }
        float[] Unit(float[] vector)
        {
            TensorPrimitives.Divide(vector, TensorPrimitives.Norm(vector), vector);
            return vector;
        }
        var centres = Enumerable.Range(0, clusters).Select(_ => Unit(Gaussian(1))).ToArray();
        return Enumerable.Range(0, count).Select(_ =>
        {
            var noise = Gaussian(1.4f / MathF.Sqrt(dimensions));
            TensorPrimitives.Add(noise, centres[random.Next(clusters)], noise);
            return Unit(noise);
        }).ToArray();
    }

    private static List<double> Time(int runs, Action<int> run)
    {
        var times = new List<double>(runs);
        for (var i = 0; i < runs; i++)
        {
            var clock = Stopwatch.StartNew();
            run(i);
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        return times;
    }

    private static double Percentile(List<double> values, double p) => Math.Round(values.Order().ElementAt(Math.Min(values.Count - 1, (int)(p * values.Count))), 3);

    private static long RssMegabytes() => Status("VmRSS:");

    private static long PeakRssMegabytes() => Status("VmHWM:");

    private static long Status(string key)
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
        return line is null ? -1 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024;
    }

    private static void Print(Dictionary<string, object> result) => Console.WriteLine(JsonSerializer.Serialize(result));
}
