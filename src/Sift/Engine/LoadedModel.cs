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
        CheckVocabulary(directory, tokenizer, config);
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
            CheckVocabulary(options.Model, tokenizer, config);
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

    /// <summary>Every id the tokenizer can produce must have a row in the embedding table (a tokenizer.json beside a GGUF file may differ from its metadata).</summary>
    private static void CheckVocabulary(string source, Tokenizer tokenizer, Qwen3Config config)
    {
        if (tokenizer.VocabularySize > config.VocabSize)
        {
            throw new CheckpointException($"{source}: the tokenizer has {tokenizer.VocabularySize} tokens but the model's vocab_size is {config.VocabSize}");
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

    /// <summary>Runs the decoder over sequences in token-budget batches; returns each one's final hidden state.</summary>
    public float[][] ComputeLastHidden(IReadOnlyList<int[]> sequences) =>
        ComputeLastHidden(sequences.Select(s => new ModelSequence(s)).ToArray(), CancellationToken.None);

    /// <summary>
    /// Runs the decoder over sequences (each continuing its shared prefix, if any) in token-budget
    /// batches; returns each one's final hidden state. Cancellation is checked between batches and
    /// between layers.
    /// </summary>
    public float[][] ComputeLastHidden(IReadOnlyList<ModelSequence> sequences, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        var results = new float[sequences.Count][];
        foreach (var batch in BatchPlanner.Plan(sequences, MaxBatchTokens))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var hidden = RunBatch(batch.Select(i => sequences[i]).ToArray(), cancellationToken);
            for (var b = 0; b < batch.Length; b++)
            {
                results[batch[b]] = hidden[b];
            }
        }
        return results;
    }

    /// <summary>
    /// One forward pass over <paramref name="batch"/>: each distinct shared prefix is packed once,
    /// before the sequences that continue it. Returns each sequence's final hidden state.
    /// </summary>
    public float[][] RunBatch(IReadOnlyList<ModelSequence> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var packed = new List<IReadOnlyList<int>>(batch.Count);
        var continues = new List<int>(batch.Count);
        var prefixRow = new Dictionary<SharedPrefix, int>(ReferenceEqualityComparer.Instance);
        foreach (var sequence in batch)
        {
            if (sequence.Prefix is { } prefix && !prefixRow.ContainsKey(prefix))
            {
                prefixRow[prefix] = packed.Count;
                packed.Add(prefix.Tokens);
                continues.Add(-1);
            }
        }
        var rows = new int[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            rows[i] = packed.Count;
            packed.Add(batch[i].Tokens);
            continues.Add(batch[i].Prefix is { } prefix ? prefixRow[prefix] : -1);
        }
        var hidden = Model.Config.HiddenSize;
        var pooled = new float[packed.Count * hidden];
        using (SiftTelemetry.ActivitySource.StartActivity("sift.forward")?
            .SetTag("sift.model", Name)
            .SetTag("sift.batch.sequences", batch.Count)
            .SetTag("sift.batch.tokens", BatchPlanner.BatchTokens(batch))
            .SetTag("sift.prefix.tokens", prefixRow.Keys.Sum(p => p.Length)))
        {
            Model.ForwardWithCancellation(PackedBatch.Create(packed, continues), pooled, cancellationToken);
        }
        return rows.Select(row => pooled.AsSpan(row * hidden, hidden).ToArray()).ToArray();
    }

    public void Dispose() => Model.Dispose();
}
