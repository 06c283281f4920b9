using Sift.Checkpoints;
using Sift.Kernels;

namespace Sift.Qwen3;

/// <summary>
/// What a checkpoint's weights will take in memory once <see cref="Qwen3Model.Load"/> has packed
/// them, read from the tensor headers alone (nothing is loaded): the memory budget is planned
/// before loading so that loading itself stays inside it.
/// </summary>
/// <param name="Format">The format the layer weights are kept in.</param>
/// <param name="PackedLayerBytes">The packed layer weights (<see cref="Qwen3Model.PackedWeightBytes"/> once loaded).</param>
/// <param name="EmbeddingBytes">The embedding table, memory-mapped; counted whole, as any row may be read.</param>
/// <param name="NormBytes">Norm vectors, copied to fp32.</param>
/// <param name="LargestStoredLayerBytes">The stored tensors of the largest layer, mapped while that layer is packed and released after.</param>
public readonly record struct WeightMemory(WeightFormat Format, long PackedLayerBytes, long EmbeddingBytes, long NormBytes, long LargestStoredLayerBytes)
{
    /// <summary>Bytes resident once loaded.</summary>
    public long ResidentBytes => PackedLayerBytes + EmbeddingBytes + NormBytes;

    /// <summary>Estimates from the checkpoint's headers; <paramref name="weightFormat"/> as given to <see cref="Qwen3Model.Load"/>.</summary>
    public static WeightMemory Estimate(Qwen3Config config, ICheckpoint checkpoint, WeightFormat? weightFormat)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(checkpoint);
        var reader = new WeightReader(checkpoint);
        var h = config.HiddenSize;
        var d = config.HeadDim;
        var f = config.IntermediateSize;
        var packed = 0L;
        var largestStored = 0L;
        var format = WeightFormat.F32;
        for (var l = 0; l < config.LayerCount; l++)
        {
            var tensors = LayerTensors.Read(reader, config, l);
            format = weightFormat ?? WeightReader.FormatOf(tensors.Query);
            packed += PackedMatrix.BytesFor(format, (config.HeadCount + 2 * config.KeyValueHeadCount) * d, h, tensors.QkvKeepsQ8Blocks)
                + PackedMatrix.BytesFor(format, h, config.HeadCount * d, tensors.OutputKeepsQ8Blocks)
                + PackedMatrix.BytesFor(format, PackedMatrix.GateUpRows(f), h, tensors.GateUpKeepsQ8Blocks)
                + PackedMatrix.BytesFor(format, h, f, tensors.DownKeepsQ8Blocks);
            var stored = tensors.All.Sum(tensor => tensor.ByteLength);
            largestStored = Math.Max(largestStored, stored);
        }
        var embedding = reader.TryFind(Qwen3WeightNames.Embedding, out var table) ? table.ByteLength : 0;
        var norms = sizeof(float) * ((long)config.LayerCount * (2L * h + 2L * d) + h);
        return new WeightMemory(format, packed, embedding, norms, largestStored);
    }
}
