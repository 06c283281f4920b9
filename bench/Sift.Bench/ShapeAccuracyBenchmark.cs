using System.Text.Json;
using Sift.Engine;
using Sift.Kernels;
using Sift.Qwen3;
using Sift.Tokenization;

namespace Sift.Bench;

/// <summary>
/// Embeddings of a random checkpoint at a real shape, int8 modes against the same model with fp32
/// compute (bf16 weights, exactly representable): the smallest cosine and the largest absolute
/// error over every component of every document, as ONNX Runtime's baseline reports for its int8.
/// </summary>
internal static class ShapeAccuracyBenchmark
{
    private const int Documents = 16;
    private const int TokensEach = 256;

    public static void Run(BenchOptions options)
    {
        var config = ModelShapes.Get(options.Shape);
        var tokenizer = Tokenizer.Load(options.Model ?? BenchPaths.Tokenizer);
        using var pool = new WorkerPool(options.Threads);
        var text = new TextGenerator(tokenizer, seed: 777);
        var inputs = Enumerable.Range(0, Documents).Select(_ => EmbeddingInput.Tokens(text.TokenIds(TokensEach - 1))).ToArray();
        var reference = Embed(config, tokenizer, pool, options, null, inputs);
        foreach (var format in new[] { WeightFormat.Int8, WeightFormat.Int8A16 })
        {
            var vectors = Embed(config, tokenizer, pool, options, format, inputs);
            var maxError = 0.0;
            var minCosine = 1.0;
            for (var i = 0; i < inputs.Length; i++)
            {
                double dot = 0, a = 0, b = 0;
                for (var j = 0; j < vectors[i].Length; j++)
                {
                    maxError = Math.Max(maxError, Math.Abs(vectors[i][j] - reference[i][j]));
                    dot += (double)vectors[i][j] * reference[i][j];
                    a += (double)vectors[i][j] * vectors[i][j];
                    b += (double)reference[i][j] * reference[i][j];
                }
                minCosine = Math.Min(minCosine, dot / Math.Sqrt(a * b));
            }
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                workload = "accuracy-shape", shape = options.Shape, precision = format.ToString(), reference = "bf16 weights, fp32 compute",
                documents = Documents, tokens_each = TokensEach, max_abs_error = maxError, min_cosine = Math.Round(minCosine, 6),
                kernel_path = KernelPath.Current.Name,
            }));
        }
    }

    /// <summary>Loads a fresh random checkpoint (the same seeded weights every time: the model owns and frees it) and embeds the inputs.</summary>
    private static float[][] Embed(Qwen3Config config, Tokenizer tokenizer, WorkerPool pool, BenchOptions options, WeightFormat? format, EmbeddingInput[] inputs)
    {
        using var model = Qwen3Model.Load(config, new RandomCheckpoint(config), pool, format);
        var loaded = LoadedModel.Create(options.Shape, model, tokenizer, config.MaxPositionEmbeddings, options.MaxBatchTokens);
        return new Embedder(loaded).Embed(inputs).Select(e => e.Vector).ToArray();
    }
}
