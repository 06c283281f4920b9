using System.Diagnostics;
using Sift.Checkpoints;
using Sift.Kernels;

namespace Sift.Qwen3;

/// <summary>
/// A Qwen3 decoder loaded for inference: packed layer weights, the memory-mapped embedding table,
/// and a forward pass that returns the final hidden state of each sequence's last token. One
/// forward runs at a time (it uses every core); concurrent callers queue on a lock.
/// </summary>
public sealed partial class Qwen3Model : IDisposable
{
    private readonly ICheckpoint _checkpoint;
    private readonly CheckpointTensor _embedding;
    private readonly Qwen3Layer[] _layers;
    private readonly float[] _finalNorm;
    private readonly WorkerPool _pool;
    private readonly ForwardWorkspace _workspace = new();
    private readonly RotaryTable _rotary;
    private readonly Lock _forwardLock = new();
    private bool _disposed;

    private Qwen3Model(Qwen3Config config, ICheckpoint checkpoint, CheckpointTensor embedding, Qwen3Layer[] layers, float[] finalNorm,
        WorkerPool pool, TimeSpan loadTime)
    {
        Config = config;
        _checkpoint = checkpoint;
        _embedding = embedding;
        _layers = layers;
        _finalNorm = finalNorm;
        _pool = pool;
        LoadTime = loadTime;
        Layout = new AttentionLayout(config.HeadCount, config.KeyValueHeadCount, config.HeadDim);
        _rotary = new RotaryTable(config.HeadDim, config.RopeTheta, config.MaxPositionEmbeddings);
    }

    /// <summary>The model's hyperparameters.</summary>
    public Qwen3Config Config { get; }

    /// <summary>The format the layer weights are kept in.</summary>
    public WeightFormat WeightFormat => _layers[0].Qkv.Format;

    /// <summary>The stored element type of the embedding table.</summary>
    public TensorType EmbeddingType => _embedding.Type;

    /// <summary>Bytes of packed layer weights in memory (the embedding table stays memory-mapped).</summary>
    public long PackedWeightBytes => _layers.Sum(l => l.PackedBytes);

    /// <summary>Bytes of the memory-mapped embedding table.</summary>
    public long EmbeddingBytes => _embedding.ByteLength;

    /// <summary>Bytes the forward pass's activation buffers hold now (grown to the largest pass so far, <see cref="WorkspaceSize"/>).</summary>
    internal long WorkspaceBytes => _workspace.Bytes;

    /// <summary>How long loading and packing took.</summary>
    public TimeSpan LoadTime { get; }

    /// <summary>The parameter count (embedding, layers, norms; a tied head counted once).</summary>
    public long ParameterCount { get; private init; }

    internal AttentionLayout Layout { get; }

    /// <summary>Loads the model from a checkpoint; the model takes ownership of the checkpoint.</summary>
    /// <param name="config">The hyperparameters.</param>
    /// <param name="checkpoint">The weights.</param>
    /// <param name="pool">The compute threads.</param>
    /// <param name="weightFormat">How to keep the layer weights: null keeps each tensor's stored format
    /// (bf16 stays bf16); <see cref="WeightFormat.Int8"/> or <see cref="WeightFormat.Int8A16"/> quantizes them to int8 blocks at load (<see cref="Int8Layout"/>).</param>
    public static Qwen3Model Load(Qwen3Config config, ICheckpoint checkpoint, WorkerPool? pool = null, WeightFormat? weightFormat = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(checkpoint);
        pool ??= WorkerPool.Shared;
        var clock = Stopwatch.StartNew();
        var reader = new WeightReader(checkpoint);
        var h = config.HiddenSize;
        var embedding = reader.Get(Qwen3WeightNames.Embedding, config.VocabSize, h);
        var layers = new Qwen3Layer[config.LayerCount];
        try
        {
            for (var l = 0; l < config.LayerCount; l++)
            {
                layers[l] = LoadLayer(config, reader, l, pool, weightFormat);
            }
        }
        catch
        {
            foreach (var layer in layers)
            {
                layer?.Dispose();
            }
            throw;
        }
        var finalNorm = reader.Vector(Qwen3WeightNames.FinalNorm, h);
        var parameters = config.VocabSize * (long)h + h
            + config.LayerCount * (2L * h + 2L * config.HeadDim
                + (long)h * config.HeadDim * (config.HeadCount * 2 + config.KeyValueHeadCount * 2)
                + 3L * h * config.IntermediateSize);
        if (reader.TryFind(Qwen3WeightNames.LanguageModelHead, out _))
        {
            parameters += config.VocabSize * (long)h;
        }
        return new Qwen3Model(config, checkpoint, embedding, layers, finalNorm, pool, clock.Elapsed) { ParameterCount = parameters };
    }

    /// <summary>
    /// Row <paramref name="tokenId"/> of the output projection (lm_head, or the embedding table when
    /// tied): dotted with a final hidden state it gives that token's logit.
    /// </summary>
    public float[] OutputRow(int tokenId)
    {
        if ((uint)tokenId >= (uint)Config.VocabSize)
        {
            throw new ArgumentOutOfRangeException(nameof(tokenId), tokenId, $"token id must be below vocab_size {Config.VocabSize}");
        }
        var reader = new WeightReader(_checkpoint);
        var head = reader.TryFind(Qwen3WeightNames.LanguageModelHead, out var lmHead) ? lmHead : _embedding;
        WeightReader.CheckShape(head, Config.VocabSize, Config.HiddenSize);
        var row = new float[Config.HiddenSize];
        WeightReader.ReadFiniteRow(head, tokenId, row);
        return row;
    }

    /// <summary>
    /// Row <paramref name="index"/> of a converted reranker's classifier (GGUF cls.output.weight,
    /// whose rows are lm_head's rows for the label tokens).
    /// </summary>
    public float[] ClassifierRow(int index)
    {
        var reader = new WeightReader(_checkpoint);
        if (!reader.TryFind(Checkpoints.Gguf.GgufCheckpoint.ClassifierTensor, out var classifier))
        {
            throw new CheckpointException($"the checkpoint has no {Checkpoints.Gguf.GgufCheckpoint.ClassifierTensor}");
        }
        var row = new float[Config.HiddenSize];
        WeightReader.ReadFiniteRow(classifier, index, row);
        return row;
    }

    /// <summary>
    /// Why a forward pass over <paramref name="tokenIds"/> can have given NaN or infinity: layer
    /// and norm weights are checked at load, so either an embedding row the tokens read is not
    /// finite (a corrupt table, which load does not scan: it stays memory-mapped) or an activation
    /// overflowed float32.
    /// </summary>
    public string ExplainNonFinite(IEnumerable<int> tokenIds)
    {
        ArgumentNullException.ThrowIfNull(tokenIds);
        var row = new float[Config.HiddenSize];
        foreach (var id in tokenIds.Distinct())
        {
            if ((uint)id < (uint)Config.VocabSize)
            {
                WeightReader.ReadRow(_embedding, id, row);
                if (!WeightReader.IsFinite(row))
                {
                    return $"the embedding row of token {id} in '{_embedding.Name}' holds NaN or infinity: the checkpoint is corrupt";
                }
            }
        }
        return "every weight the input reads is finite: an activation overflowed float32";
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_forwardLock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            foreach (var layer in _layers)
            {
                layer.Dispose();
            }
            _workspace.Dispose();
            _checkpoint.Dispose();
        }
    }

    private static Qwen3Layer LoadLayer(Qwen3Config config, WeightReader reader, int l, WorkerPool pool, WeightFormat? weightFormat)
    {
        var h = config.HiddenSize;
        var d = config.HeadDim;
        var f = config.IntermediateSize;
        string Name(string tensor) => Qwen3WeightNames.Layer(l, tensor);
        var tensors = LayerTensors.Read(reader, config, l);
        var (q, k, v, o, gate, up, down) = tensors;
        var format = weightFormat ?? WeightReader.FormatOf(q);

        var qRows = config.HeadCount * d;
        var kvRows = config.KeyValueHeadCount * d;
        var qkv = PackedMatrix.Pack(format, qRows + 2 * kvRows, h, (row, destination) =>
        {
            if (row < qRows)
            {
                WeightReader.ReadFiniteRow(q, row, destination);
            }
            else if (row < qRows + kvRows)
            {
                WeightReader.ReadFiniteRow(k, row - qRows, destination);
            }
            else
            {
                WeightReader.ReadFiniteRow(v, row - qRows - kvRows, destination);
            }
        }, pool, tensors.QkvKeepsQ8Blocks);
        var output = PackedMatrix.Pack(format, h, config.HeadCount * d, (row, destination) => WeightReader.ReadFiniteRow(o, row, destination), pool,
            tensors.OutputKeepsQ8Blocks);

        var gateUp = PackedMatrix.PackGateUp(format, f, h,
            (row, destination) => WeightReader.ReadFiniteRow(gate, row, destination),
            (row, destination) => WeightReader.ReadFiniteRow(up, row, destination), pool, tensors.GateUpKeepsQ8Blocks);
        var downMatrix = PackedMatrix.Pack(format, h, f, (row, destination) => WeightReader.ReadFiniteRow(down, row, destination), pool,
            tensors.DownKeepsQ8Blocks);
        // The packed copies are all the forward pass reads; the mapped originals can leave the resident set.
        foreach (var tensor in tensors.All)
        {
            tensor.ReleasePages();
        }

        return new Qwen3Layer(
            reader.Vector(Name(Qwen3WeightNames.Layers.AttentionNorm), h),
            reader.Vector(Name(Qwen3WeightNames.Layers.QueryNorm), d),
            reader.Vector(Name(Qwen3WeightNames.Layers.KeyNorm), d),
            reader.Vector(Name(Qwen3WeightNames.Layers.MlpNorm), h),
            qkv, output, gateUp, downMatrix);
    }
}
