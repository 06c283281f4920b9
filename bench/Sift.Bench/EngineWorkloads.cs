using System.Diagnostics;
using System.Text.Json;
using Sift.Engine;
using Sift.Kernels;
using Sift.Qwen3;
using Sift.Tokenization;

namespace Sift.Bench;

/// <summary>
/// The end-to-end workloads of the speed issue, on random weights at a real shape, each printing
/// one JSON line: W1 embed 64 × 256 tokens; W2 one 32-token query (median of 20); W3 rerank one
/// query × 32 documents of about 200 tokens; W4 one 8192-token document; W5 one 32768-token document;
/// R1 (issue 11) one ~1,500-token query × 512 short documents, for the memory a shared query prefix takes;
/// W6 (issue 13) one 100,000-token document in chunk mode with 8192-token windows, rounds interleaved with W4's.
/// </summary>
internal static class EngineWorkloads
{
    public static void Run(BenchOptions options)
    {
        var config = ModelShapes.Get(options.Shape);
        var tokenizer = Tokenizer.Load(options.Model ?? BenchPaths.Tokenizer);
        using var pool = new WorkerPool(options.Threads);
        using var checkpoint = new RandomCheckpoint(config);
        var loadClock = Stopwatch.StartNew();
        var model = Qwen3Model.Load(config, checkpoint, pool, options.Quantize);
        var loadSeconds = loadClock.Elapsed.TotalSeconds;
        var loaded = LoadedModel.Create(options.Shape, model, tokenizer, config.MaxPositionEmbeddings, options.MaxBatchTokens);
        var text = new TextGenerator(tokenizer, seed: 12345);

        var (tokens, seconds, extra) = options.Workload switch
        {
            "W1" => EmbedDocuments(new Embedder(loaded), text, documents: 64, tokensEach: 256, options.Rounds),
            "W2" => QueryLatency(new Embedder(loaded), text),
            "W3" => Rerank(new Reranker(loaded), text, options.Rounds),
            "W4" => EmbedDocuments(new Embedder(loaded), text, documents: 1, tokensEach: 8192, options.Rounds),
            "W5" => EmbedDocuments(new Embedder(loaded), text, documents: 1, tokensEach: 32768, rounds: 1),
            "R1" => LongQueryRerank(new Reranker(loaded), text),
            "W6" => WindowedDocument(new Embedder(loaded), text, options),
            _ => throw new ArgumentException($"unknown workload {options.Workload}"),
        };
        var result = new Dictionary<string, object>
        {
            ["workload"] = options.Workload,
            ["shape"] = options.Shape,
            ["precision"] = options.Precision,
            ["tokens"] = tokens,
            ["seconds"] = Math.Round(seconds, 3),
            ["tokens_per_s"] = Math.Round(tokens / seconds, 1),
            ["peak_rss_mb"] = PeakRssMegabytes(),
            ["packed_weights_mb"] = model.PackedWeightBytes / 1048576,
            ["source_weights_mb"] = checkpoint.SourceBytes / 1048576,
            ["load_seconds"] = Math.Round(loadSeconds, 1),
            ["threads"] = options.Threads,
            ["kernel_path"] = KernelPath.Current.Name,
            ["kernel_int8"] = KernelPath.Current.Int8,
        };
        foreach (var (key, value) in extra)
        {
            result[key] = value;
        }
        Console.WriteLine(JsonSerializer.Serialize(result));
        model.Dispose();
    }

    private static (long, double, Dictionary<string, object>) EmbedDocuments(Embedder embedder, TextGenerator text, int documents, int tokensEach, int rounds)
    {
        // tokensEach - 1 text tokens, then the appended <|endoftext|>.
        var inputs = Enumerable.Range(0, documents).Select(_ => EmbeddingInput.Tokens(text.TokenIds(tokensEach - 1))).ToArray();
        embedder.Embed([EmbeddingInput.Tokens(text.TokenIds(Math.Min(tokensEach, 512) - 1))]);
        var times = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            var clock = Stopwatch.StartNew();
            embedder.Embed(inputs);
            times.Add(clock.Elapsed.TotalSeconds);
        }
        return ((long)documents * tokensEach, Median(times), new() { ["times"] = times.Select(t => Math.Round(t, 3)).ToArray() });
    }

    /// <summary>
    /// W6: one 100,000-token document embedded in chunk mode with 8192-token windows (the default
    /// 1280-token overlap), against W4 (one 8192-token document) in the same process: W4 runs before
    /// every W6 round and once after the last, so both see the same machine load. The rate counts
    /// every token read (windows overlap, so the document's own tokens/s is given too).
    /// --document-tokens, --window and --window-overlap scale it down (the single-window reference
    /// is then one window-long document, not W4's 8192 tokens).
    /// </summary>
    private static (long, double, Dictionary<string, object>) WindowedDocument(Embedder embedder, TextGenerator text, BenchOptions bench)
    {
        var rounds = bench.Rounds;
        var documentTokens = bench.DocumentTokens;
        var window = bench.WindowTokens;
        var options = new EmbedOptions
        {
            MaxLength = window,
            Windows = new Sift.Engine.LongDocuments.WindowOptions { Overlap = bench.WindowOverlap, MaxWindows = int.MaxValue },
        };
        var document = new[] { EmbeddingInput.Tokens(text.TokenIds(documentTokens)) };
        var single = new[] { EmbeddingInput.Tokens(text.TokenIds(window - 1)) };
        var batch = embedder.Prepare(document, null, options);
        var tokensRead = batch.Sequences.Sum(s => (long)s.Length);
        embedder.Embed([EmbeddingInput.Tokens(text.TokenIds(511))]);
        var rssBefore = RssMegabytes("VmRSS:");
        var w4Times = new List<double>();
        var w6Times = new List<double>();
        void RunW4()
        {
            var clock = Stopwatch.StartNew();
            embedder.Embed(single);
            w4Times.Add(clock.Elapsed.TotalSeconds);
        }
        for (var round = 0; round < rounds; round++)
        {
            RunW4();
            var clock = Stopwatch.StartNew();
            var result = embedder.Embed(document, options);
            w6Times.Add(clock.Elapsed.TotalSeconds);
            if (result[0].TokenCount != tokensRead)
            {
                throw new InvalidOperationException($"W6 read {result[0].TokenCount} tokens, its plan has {tokensRead}");
            }
        }
        RunW4();
        var w6Seconds = Median(w6Times);
        var w4Rate = window / Median(w4Times);
        var w6Rate = tokensRead / w6Seconds;
        return (tokensRead, w6Seconds, new()
        {
            ["document_tokens"] = documentTokens,
            ["window"] = window,
            ["overlap"] = bench.WindowOverlap,
            ["windows"] = batch.Sequences.Count,
            ["document_tokens_per_s"] = Math.Round(documentTokens / w6Seconds, 1),
            ["times"] = w6Times.Select(t => Math.Round(t, 3)).ToArray(),
            ["w4_times"] = w4Times.Select(t => Math.Round(t, 3)).ToArray(),
            ["w4_tokens_per_s"] = Math.Round(w4Rate, 1),
            ["rate_vs_w4"] = Math.Round(w6Rate / w4Rate, 3),
            ["rss_before_mb"] = rssBefore,
        });
    }

    private static (long, double, Dictionary<string, object>) QueryLatency(Embedder embedder, TextGenerator text)
    {
        var query = new[] { EmbeddingInput.Tokens(text.TokenIds(31)) };
        embedder.Embed(query);
        embedder.Embed(query);
        var times = new List<double>();
        for (var run = 0; run < 20; run++)
        {
            var clock = Stopwatch.StartNew();
            embedder.Embed(query);
            times.Add(clock.Elapsed.TotalSeconds);
        }
        var median = Median(times);
        return (32, median, new()
        {
            ["median_ms"] = Math.Round(median * 1000, 2),
            ["min_ms"] = Math.Round(times.Min() * 1000, 2),
            ["max_ms"] = Math.Round(times.Max() * 1000, 2),
        });
    }

    private static (long, double, Dictionary<string, object>) Rerank(Reranker reranker, TextGenerator text, int rounds)
    {
        var query = text.Text(12);
        var documents = Enumerable.Range(0, 32).Select(_ => text.Text(200)).ToArray();
        var tokens = documents.Sum(d => (long)reranker.BuildInput(query, d, new RerankOptions()).Length);
        reranker.Score(query, documents[..2]);
        var times = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            var clock = Stopwatch.StartNew();
            reranker.Score(query, documents);
            times.Add(clock.Elapsed.TotalSeconds);
        }
        return (tokens, Median(times), new() { ["times"] = times.Select(t => Math.Round(t, 3)).ToArray() });
    }

    /// <summary>
    /// A ~1,500-token query with 512 short documents (a 10 KB request): memory beyond the weights,
    /// and the scores of a few documents against their whole prompts run without sharing (bitwise).
    /// </summary>
    private static (long, double, Dictionary<string, object>) LongQueryRerank(Reranker reranker, TextGenerator text)
    {
        var query = text.Text(1500);
        var documents = Enumerable.Range(0, 512).Select(_ => text.Text(8)).ToArray();
        var options = new RerankOptions();
        var prompts = reranker.BuildInputs(query, documents, options);
        var sequences = reranker.Sequences(query, options, prompts);
        var rssBefore = RssMegabytes("VmRSS:");
        var clock = Stopwatch.StartNew();
        var hidden = reranker.ComputeHidden(sequences, CancellationToken.None);
        var seconds = clock.Elapsed.TotalSeconds;
        var peak = PeakRssMegabytes();
        // Without sharing: the whole prompts of the first four documents, in one ordinary pass.
        var whole = reranker.ComputeHidden(prompts.Take(4).Select(p => new ModelSequence(p)).ToArray(), CancellationToken.None);
        var identical = Enumerable.Range(0, 4).All(i => hidden[i].AsSpan().SequenceEqual(whole[i]));
        return (BatchPlanner.BatchTokens(sequences), seconds, new()
        {
            ["query_tokens"] = sequences[0].Prefix?.Length ?? 0,
            ["documents"] = documents.Length,
            ["rss_before_mb"] = rssBefore,
            ["peak_during_rerank_mb"] = peak,
            ["activation_mb"] = reranker.Model.WorkspaceBytes / 1048576,
            ["scores_equal_unshared_bitwise"] = identical,
        });
    }

    private static long RssMegabytes(string field)
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        return line is null ? -1 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static long PeakRssMegabytes() => RssMegabytes("VmHWM:");
}
