using Sift.Checkpoints;
using Sift.Checkpoints.Gguf;
using Sift.Kernels;
using Sift.Qwen3;

namespace Sift.Engine;

/// <summary>
/// What one model will hold in memory, from its checkpoint's headers (nothing is loaded): the
/// packed weights, and how the memory of a forward pass grows with its tokens. The server's memory
/// budget sizes its batches and its longest input from these.
/// </summary>
/// <param name="Kind">Embedding model or reranker.</param>
/// <param name="Config">The model's hyperparameters.</param>
/// <param name="Weights">The weights once loaded.</param>
/// <param name="MaxLength">The longest input the model admits without a budget (its own limit, or the one asked for).</param>
public sealed record ModelFootprint(ModelKind Kind, Qwen3Config Config, WeightMemory Weights, int MaxLength)
{
    /// <summary>
    /// Memory a loaded model holds besides its weights, whatever its size: the tokenizer (a
    /// 151k-token vocabulary and its merges) and the engine's small tables. Measured: 37 MiB of
    /// resident memory per fixture model (whose weights are a few MiB); rounded up.
    /// </summary>
    public const long TokenizerBytes = 48L << 20;

    /// <summary>Reads a model's footprint from its checkpoint (a model directory or a GGUF file), as <see cref="Embedder.Load"/> or <see cref="Reranker.Load"/> would load it.</summary>
    public static ModelFootprint Estimate(ModelOptions options, ModelKind kind)
    {
        ArgumentNullException.ThrowIfNull(options);
        Qwen3Config config;
        ICheckpoint checkpoint;
        if (LoadedModel.IsGguf(options.Model))
        {
            var gguf = GgufCheckpoint.Open(options.Model);
            (config, checkpoint) = (gguf.Config, gguf);
        }
        else if (Directory.Exists(options.Model))
        {
            config = Qwen3Config.Load(options.Model);
            checkpoint = SafetensorsCheckpoint.Open(options.Model);
        }
        else
        {
            throw new CheckpointException($"{options.Model}: no model directory or .gguf file");
        }
        using (checkpoint)
        {
            var weights = WeightMemory.Estimate(config, checkpoint, options.Quantize);
            var limit = kind == ModelKind.Reranker ? Math.Min(Reranker.DefaultMaxLength, config.MaxPositionEmbeddings) : config.MaxPositionEmbeddings;
            return new ModelFootprint(kind, config, weights, options.MaxLength ?? limit);
        }
    }

    /// <summary>
    /// The most memory forward passes take when no pass holds more than <paramref name="maxTokens"/>
    /// tokens, sequences or key/value rows and no input is longer than <paramref name="maxLength"/>:
    /// the workspace with its keys and values, the RoPE table, the pooled states and the token
    /// bookkeeping. A reranker's shared query prefix is tokens of the pass like any other (held once,
    /// inside the workspace, <see cref="BatchPlanner.BatchTokens"/>), so it needs no term of its own.
    /// </summary>
    public long PassBytes(int maxTokens, int maxLength)
    {
        var workspace = WorkspaceSize.Largest(Config, maxTokens).Bytes;
        // The table grows geometrically up to twice the longest position, and is copied when it grows.
        var rotary = 2L * Math.Min(Config.MaxPositionEmbeddings, 2L * maxLength) * Config.HeadDim * sizeof(float);
        // Each sequence's pooled state twice (the pass's output and the copy handed back), and ids, positions and starts.
        var outputs = (long)maxTokens * (2L * Config.HiddenSize * sizeof(float) + 3 * sizeof(int));
        return workspace + rotary + outputs;
    }

    /// <summary>
    /// Scratch the kernels keep for <paramref name="models"/> sharing one worker pool of
    /// <paramref name="threads"/> threads: per thread, a widened weight panel (bf16/f16 GEMM) and
    /// attention tiles; shared, the int8 GEMM's quantized activations of one chunk.
    /// </summary>
    public static long KernelScratchBytes(IReadOnlyList<ModelFootprint> models, int tokens, int threads)
    {
        ArgumentNullException.ThrowIfNull(models);
        var columns = models.Max(m => Math.Max(m.Config.IntermediateSize, m.Config.HeadCount * m.Config.HeadDim));
        var perThread = (long)columns * PackedMatrix.PanelWidth * sizeof(float) + (1L << 20);
        var int8 = models.Where(m => PackedMatrix.IsInt8(m.Weights.Format))
            .Select(m => Int8ActivationBytes(m, Math.Min(tokens, Qwen3Model.ChunkTokens)))
            .DefaultIfEmpty(0).Max();
        return threads * perThread + int8;
    }

    /// <summary>
    /// The int8 GEMM's quantized activations for <paramref name="rows"/> rows of the model's largest GEMM
    /// input: over its three input widths (hidden, heads × head_dim, intermediate), in either block
    /// layout a matrix of that width can have (Q8_0's blocks kept or not).
    /// </summary>
    private static long Int8ActivationBytes(ModelFootprint model, int rows) =>
        new[] { model.Config.HiddenSize, model.Config.HeadCount * model.Config.HeadDim, model.Config.IntermediateSize }
            .SelectMany(columns => new[] { false, true }.Select(keepQ8Blocks => (columns, layout: Int8Layout.For(model.Weights.Format, columns, keepQ8Blocks))))
            .Max(matrix => matrix.layout.ActivationBytes(rows, matrix.layout.Blocks(matrix.columns)));
}
