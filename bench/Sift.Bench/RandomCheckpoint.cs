using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Sift.Checkpoints;
using Sift.Qwen3;

namespace Sift.Bench;

/// <summary>
/// Random bf16 weights at a real shape, in memory. Every layer points at the same random tensors
/// (speed does not depend on the values), so an 8B shape needs one layer's worth of source memory;
/// the engine still packs a full copy per layer, as it would for a real checkpoint.
/// </summary>
internal sealed unsafe class RandomCheckpoint : ICheckpoint
{
    private readonly Dictionary<string, CheckpointTensor> _tensors = new();
    private readonly List<nint> _allocations = [];
    private ulong _state = 0x9E3779B97F4A7C15;

    public RandomCheckpoint(Qwen3Config config)
    {
        var h = config.HiddenSize;
        var d = config.HeadDim;
        var f = config.IntermediateSize;
        Add(Qwen3WeightNames.Embedding, [config.VocabSize, h], 0.5f);
        Add(Qwen3WeightNames.FinalNorm, [h], 0, 1);
        if (!config.TieWordEmbeddings)
        {
            Add(Qwen3WeightNames.LanguageModelHead, [config.VocabSize, h], 0.05f);
        }
        var shared = new Dictionary<string, CheckpointTensor>();
        foreach (var (name, shape, scale, center) in new (string, long[], float, float)[]
        {
            (Qwen3WeightNames.Layers.AttentionNorm, [h], 0, 1),
            (Qwen3WeightNames.Layers.MlpNorm, [h], 0, 1),
            (Qwen3WeightNames.Layers.QueryNorm, [d], 0, 1),
            (Qwen3WeightNames.Layers.KeyNorm, [d], 0, 1),
            (Qwen3WeightNames.Layers.Query, [config.HeadCount * d, h], 0.03f, 0),
            (Qwen3WeightNames.Layers.Key, [config.KeyValueHeadCount * d, h], 0.03f, 0),
            (Qwen3WeightNames.Layers.Value, [config.KeyValueHeadCount * d, h], 0.03f, 0),
            (Qwen3WeightNames.Layers.Output, [h, config.HeadCount * d], 0.02f, 0),
            (Qwen3WeightNames.Layers.Gate, [f, h], 0.03f, 0),
            (Qwen3WeightNames.Layers.Up, [f, h], 0.03f, 0),
            (Qwen3WeightNames.Layers.Down, [h, f], 0.02f, 0),
        })
        {
            shared[name] = Add(Qwen3WeightNames.Layer(0, name), shape, scale, center);
        }
        for (var l = 1; l < config.LayerCount; l++)
        {
            foreach (var (name, tensor) in shared)
            {
                _tensors[Qwen3WeightNames.Layer(l, name)] = tensor;
            }
        }
    }

    public IReadOnlyCollection<string> TensorNames => _tensors.Keys;

    public long SourceBytes => _allocations.Count == 0 ? 0 : _tensors.Values.Distinct().Sum(t => t.ByteLength);

    public bool TryGetTensor(string name, [NotNullWhen(true)] out CheckpointTensor? tensor) => _tensors.TryGetValue(name, out tensor);

    /// <summary>A tensor's bytes as Memory, without copying (valid while this checkpoint lives).</summary>
    public ReadOnlyMemory<byte> Memory(string name)
    {
        var tensor = _tensors[name];
        fixed (byte* data = tensor.Bytes)
        {
            return new NativeMemoryManager(data, (int)tensor.ByteLength).Memory;
        }
    }

    public void Dispose()
    {
        foreach (var pointer in _allocations)
        {
            NativeMemory.Free((void*)pointer);
        }
        _allocations.Clear();
    }

    private CheckpointTensor Add(string name, long[] shape, float scale, float center = 0)
    {
        var count = shape.Aggregate(1L, (a, b) => a * b);
        var data = (ushort*)NativeMemory.Alloc((nuint)(count * 2));
        _allocations.Add((nint)data);
        for (long i = 0; i < count; i++)
        {
            // xorshift64*: fast enough for a billion values; uniform in [center - scale, center + scale).
            _state ^= _state >> 12;
            _state ^= _state << 25;
            _state ^= _state >> 27;
            var uniform = ((_state * 0x2545F4914F6CDD1DUL) >> 40) / (float)(1 << 24);
            var value = center + scale * (2 * uniform - 1);
            data[i] = (ushort)(BitConverter.SingleToUInt32Bits(value) >> 16);
        }
        var tensor = new CheckpointTensor(name, TensorType.BF16, shape, (byte*)data, count * 2, "random");
        _tensors[name] = tensor;
        return tensor;
    }
}
