using System.Text.Json;
using Sift.Engine;
using Sift.Kernels;

namespace Sift.Bench;

/// <summary>Max absolute error against the fixtures' float64 references, at a chosen weight precision.</summary>
internal static class AccuracyBenchmark
{
    public static void Run(BenchOptions options)
    {
        var fixtures = options.Model ?? BenchPaths.Fixtures;
        var format = options.Quantize;

        using var embedder = Embedder.Load(new ModelOptions { Model = Path.Combine(fixtures, "qwen3-tiny-embedding"), Quantize = format });
        using var embeddingReference = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(fixtures, "qwen3-tiny-embedding", "reference.json")));
        double embeddingError = 0, dim32Error = 0;
        foreach (var item in embeddingReference.RootElement.GetProperty("cases").EnumerateArray())
        {
            var input = EmbeddingInput.Document(item.GetProperty("text").GetString()!);
            var full = embedder.Embed([input])[0].Vector;
            var dim32 = embedder.Embed([input], new EmbedOptions { Dimensions = 32 })[0].Vector;
            embeddingError = Math.Max(embeddingError, MaxError(item.GetProperty("embedding"), full));
            dim32Error = Math.Max(dim32Error, MaxError(item.GetProperty("embedding_dim32"), dim32));
        }

        using var reranker = Reranker.Load(new ModelOptions { Model = Path.Combine(fixtures, "qwen3-tiny-reranker"), Quantize = format });
        using var rerankReference = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(fixtures, "qwen3-tiny-reranker", "reference.json")));
        double scoreError = 0, logitError = 0;
        foreach (var item in rerankReference.RootElement.GetProperty("cases").EnumerateArray())
        {
            var instruction = item.GetProperty("instruction").ValueKind == JsonValueKind.Null ? null : item.GetProperty("instruction").GetString();
            int? maxLength = item.TryGetProperty("max_length", out var length) ? length.GetInt32() : null;
            var score = reranker.Score(item.GetProperty("query").GetString()!, [item.GetProperty("document").GetString()!],
                new RerankOptions { Instruction = instruction, MaxLength = maxLength })[0];
            scoreError = Math.Max(scoreError, Math.Abs(score.Score - item.GetProperty("score").GetDouble()));
            logitError = Math.Max(logitError, Math.Max(Math.Abs(score.LogitYes - item.GetProperty("logit_yes").GetDouble()),
                Math.Abs(score.LogitNo - item.GetProperty("logit_no").GetDouble())));
        }
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            workload = "accuracy", precision = options.Precision,
            embedding_max_abs_error = embeddingError, embedding_dim32_max_abs_error = dim32Error,
            rerank_score_max_abs_error = scoreError, rerank_logit_max_abs_error = logitError,
        }));
    }

    private static double MaxError(JsonElement expected, float[] actual) =>
        expected.EnumerateArray().Select((e, i) => Math.Abs(e.GetDouble() - actual[i])).Max();
}
