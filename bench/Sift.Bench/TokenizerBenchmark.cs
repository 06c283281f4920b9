using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Sift.Tokenization;

namespace Sift.Bench;

/// <summary>
/// Tokenizer throughput on English prose, single thread, against the JS reference tokenizer in
/// the same run. "first" is a fresh tokenizer (cold piece cache), "median" the steady state.
/// </summary>
internal static class TokenizerBenchmark
{
    public static void Run(BenchOptions options)
    {
        var files = options.Corpus.Length > 0 ? options.Corpus : Directory.GetFiles("/usr/share/common-licenses").Where(f => !new FileInfo(f).LinkTarget?.Any() ?? true).Order().ToArray();
        var documents = files.Select(File.ReadAllText).ToArray();
        var bytes = documents.Sum(d => (long)Encoding.UTF8.GetByteCount(d));
        var tokenizerFile = Path.Combine(options.Model ?? throw new ArgumentException("--model is required for the tokenizer workload"), Tokenizer.FileName);

        var seconds = new List<double>();
        long tokens = 0;
        var tokenizer = Tokenizer.Load(tokenizerFile);
        for (var round = 0; round < options.Rounds; round++)
        {
            var clock = Stopwatch.StartNew();
            tokens = documents.Sum(d => (long)tokenizer.Encode(d, addSpecialTokens: false).Length);
            seconds.Add(clock.Elapsed.TotalSeconds);
        }
        var median = seconds.Order().ElementAt(seconds.Count / 2);

        // A fresh tokenizer per round: JIT warm, piece cache cold (every word goes through BPE).
        var coldSeconds = new List<double>();
        for (var round = 0; round < options.Rounds; round++)
        {
            var fresh = Tokenizer.Load(tokenizerFile);
            var clock = Stopwatch.StartNew();
            foreach (var document in documents)
            {
                fresh.Encode(document, addSpecialTokens: false);
            }
            coldSeconds.Add(clock.Elapsed.TotalSeconds);
        }
        var coldMedian = coldSeconds.Order().ElementAt(coldSeconds.Count / 2);
        var result = new Dictionary<string, object>
        {
            ["workload"] = "tokenizer",
            ["corpus_bytes"] = bytes,
            ["tokens"] = tokens,
            ["sift_first_mb_per_s"] = Math.Round(bytes / seconds[0] / 1e6, 2),
            ["sift_median_mb_per_s"] = Math.Round(bytes / median / 1e6, 2),
            ["sift_cold_cache_mb_per_s"] = Math.Round(bytes / coldMedian / 1e6, 2),
        };

        if (options.JsDirectory is { } jsDirectory)
        {
            var script = Path.Combine(AppContext.BaseDirectory, "js-tokenizer-bench.mjs");
            var start = new ProcessStartInfo("node", [script, .. files]) { WorkingDirectory = jsDirectory, RedirectStandardOutput = true };
            start.Environment["ROUNDS"] = options.Rounds.ToString();
            using var node = Process.Start(start)!;
            var output = node.StandardOutput.ReadToEnd();
            node.WaitForExit();
            using var js = JsonDocument.Parse(output);
            var jsMedian = js.RootElement.GetProperty("median_seconds").GetDouble();
            var jsFirst = js.RootElement.GetProperty("first_seconds").GetDouble();
            result["js_tokens"] = js.RootElement.GetProperty("tokens").GetInt64();
            result["js_first_mb_per_s"] = Math.Round(bytes / jsFirst / 1e6, 2);
            result["js_median_mb_per_s"] = Math.Round(bytes / jsMedian / 1e6, 2);
            result["speedup_first"] = Math.Round(jsFirst / seconds[0], 2);
            result["speedup_median"] = Math.Round(jsMedian / median, 2);
        }
        Console.WriteLine(JsonSerializer.Serialize(result));
    }
}
