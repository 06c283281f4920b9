using Sift.Checkpoints;

namespace Sift.Qwen3;

/// <summary>The seven weight matrices of one decoder layer as the checkpoint stores them, each checked against the config's shape.</summary>
internal sealed record LayerTensors(
    CheckpointTensor Query, CheckpointTensor Key, CheckpointTensor Value, CheckpointTensor Output,
    CheckpointTensor Gate, CheckpointTensor Up, CheckpointTensor Down)
{
    /// <summary>All seven, in the order above.</summary>
    public IReadOnlyList<CheckpointTensor> All => [Query, Key, Value, Output, Gate, Up, Down];

    /// <summary>Whether the packed query/key/value matrix keeps Q8_0's blocks (<see cref="WeightReader.KeepsQ8Blocks"/>).</summary>
    public bool QkvKeepsQ8Blocks => WeightReader.KeepsQ8Blocks(Query, Key, Value);

    /// <summary>Whether the packed output projection keeps Q8_0's blocks.</summary>
    public bool OutputKeepsQ8Blocks => WeightReader.KeepsQ8Blocks(Output);

    /// <summary>Whether the packed gate/up matrix keeps Q8_0's blocks (both must be Q8_0).</summary>
    public bool GateUpKeepsQ8Blocks => WeightReader.KeepsQ8Blocks(Gate, Up);

    /// <summary>Whether the packed down projection keeps Q8_0's blocks.</summary>
    public bool DownKeepsQ8Blocks => WeightReader.KeepsQ8Blocks(Down);

    /// <summary>Layer <paramref name="layer"/>'s matrices; a missing or misshapen one is a <see cref="CheckpointException"/> naming it.</summary>
    public static LayerTensors Read(WeightReader reader, Qwen3Config config, int layer)
    {
        var (h, d, f) = (config.HiddenSize, config.HeadDim, config.IntermediateSize);
        string Name(string tensor) => Qwen3WeightNames.Layer(layer, tensor);
        return new LayerTensors(
            reader.Get(Name(Qwen3WeightNames.Layers.Query), config.HeadCount * d, h),
            reader.Get(Name(Qwen3WeightNames.Layers.Key), config.KeyValueHeadCount * d, h),
            reader.Get(Name(Qwen3WeightNames.Layers.Value), config.KeyValueHeadCount * d, h),
            reader.Get(Name(Qwen3WeightNames.Layers.Output), h, config.HeadCount * d),
            reader.Get(Name(Qwen3WeightNames.Layers.Gate), f, h),
            reader.Get(Name(Qwen3WeightNames.Layers.Up), f, h),
            reader.Get(Name(Qwen3WeightNames.Layers.Down), h, f));
    }
}
