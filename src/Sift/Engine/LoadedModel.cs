using Sift.Checkpoints;
using Sift.Checkpoints.Gguf;
using Sift.Kernels;
using Sift.Qwen3;
using Sift.Telemetry;
using Sift.Tokenization;

namespace Sift.Engine;

/// <summary>A model directory opened for the engine: the decoder, its tokenizer, and validated limits.</summary>
internal sealed class LoadedModel : IDisposable
{
    private LoadedModel(string name, Qwen3Model model, Tokenizer tokenizer, int maxLength, int maxBatchTokens, IReadOnlyList<string>? classifierLabels = null)
    {
        ClassifierLabels = classifierLabels;
        Name = name;
        Model = model;
        Tokenizer = tokenizer;
        MaxLength = maxLength;
        MaxBatchTokens = maxBatchTokens;
    }

    public string Name { get; }

    public Qwen3Model Model { get; }

    public Tokenizer Tokenizer { get; }

    public int MaxLength { get; }

    public int MaxBatchTokens { get; }

    /// <summary>For a GGUF reranker: the labels of its classifier rows; null when scores come from lm_head.</summary>
    public IReadOnlyList<string>? ClassifierLabels { get; }

    /// <summary>The same model with another input length limit.</summary>
    public LoadedModel WithMaxLength(int maxLength) => new(Name, Model, Tokenizer, maxLength, MaxBatchTokens, ClassifierLabels);

    /// <summary>Whether a path names a GGUF file rather than a model directory.</summary>
    public static bool IsGguf(string path) => GgufFile.IsGgufFile(path);

    /// <summary>Wraps an already loaded decoder (benchmarks build one from random weights).</summary>
    public static LoadedModel Create(string name, Qwen3Model model, Tokenizer tokenizer, int maxLength, int maxBatchTokens) =>
        new(name, model, tokenizer, maxLength, maxBatchTokens);

    public static LoadedModel Load(ModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxBatchTokens < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxBatchTokens, "MaxBatchTokens must be at least 1");
        }
        if (IsGguf(options.Model))
        {
            return LoadGguf(options);
        }
        var directory = options.Model;
        if (!Directory.Exists(directory))
        {
            throw new CheckpointException($"{directory}: no model directory or .gguf file");
        }
        var config = Qwen3Config.Load(directory);
        CheckMaxLength(options, config);
        var tokenizer = Tokenizer.Load(directory);
        if (tokenizer.VocabularySize > config.VocabSize)
        {
            throw new CheckpointException($"{directory}: the tokenizer has {tokenizer.VocabularySize} tokens but the model's vocab_size is {config.VocabSize}");
        }
        var model = Qwen3Model.Load(config, SafetensorsCheckpoint.Open(directory), options.Pool ?? WorkerPool.Shared, options.Quantize);
        var name = options.Name ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)));
        return new LoadedModel(name, model, tokenizer, options.MaxLength ?? config.MaxPositionEmbeddings, options.MaxBatchTokens);
    }

    private static LoadedModel LoadGguf(ModelOptions options)
    {
        var checkpoint = GgufCheckpoint.Open(options.Model);
        try
        {
            var config = checkpoint.Config;
            CheckMaxLength(options, config);
            var tokenizer = checkpoint.LoadTokenizer();
            var labels = checkpoint.ClassifierLabels;
            var model = Qwen3Model.Load(config, checkpoint, options.Pool ?? WorkerPool.Shared, options.Quantize);
            var name = options.Name ?? Path.GetFileNameWithoutExtension(options.Model);
            return new LoadedModel(name, model, tokenizer, options.MaxLength ?? config.MaxPositionEmbeddings, options.MaxBatchTokens, labels);
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    private static void CheckMaxLength(ModelOptions options, Qwen3Config config)
    {
        if (options.MaxLength is { } requested && (requested < 2 || requested > config.MaxPositionEmbeddings))
        {
            throw new ArgumentOutOfRangeException(nameof(options), requested,
                $"MaxLength must be between 2 and the model's max_position_embeddings {config.MaxPositionEmbeddings}");
        }
    }

    /// <summary>
    /// Runs the decoder over sequences in token-budget batches; returns each one's final hidden
    /// state. With <paramref name="prefix"/>, every sequence continues that prefix.
    /// </summary>
    public float[][] ComputeLastHidden(IReadOnlyList<int[]> sequences, PrefixState? prefix = null)
    {
        var hidden = Model.Config.HiddenSize;
        var results = new float[sequences.Count][];
        // A sequence holds the keys and values of the prefix's copy besides its own: the budget counts both.
        var context = prefix?.Length ?? 0;
        foreach (var batch in BatchPlanner.Plan(sequences.Select(s => s.Length + context).ToArray(), MaxBatchTokens))
        {
            var pooled = new float[batch.Length * hidden];
            using var span = SiftTelemetry.ActivitySource.StartActivity("sift.forward")?
                .SetTag("sift.model", Name)
                .SetTag("sift.batch.sequences", batch.Length)
                .SetTag("sift.batch.tokens", batch.Sum(i => sequences[i].Length))
                .SetTag("sift.prefix.tokens", prefix?.Length ?? 0);
            Model.Forward(PackedBatch.Create(batch.Select(i => (IReadOnlyList<int>)sequences[i]).ToArray()), prefix, pooled);
            for (var b = 0; b < batch.Length; b++)
            {
                results[batch[b]] = pooled.AsSpan(b * hidden, hidden).ToArray();
            }
        }
        return results;
    }

    public void Dispose() => Model.Dispose();
}
