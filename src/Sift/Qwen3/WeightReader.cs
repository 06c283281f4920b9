using System.Diagnostics.CodeAnalysis;
using Sift.Checkpoints;
using Sift.Kernels;

namespace Sift.Qwen3;

/// <summary>Finds Qwen3 tensors by name (with or without the "model." prefix) and checks their shapes.</summary>
internal sealed class WeightReader(ICheckpoint checkpoint)
{
    private const string Prefix = "model.";

    public bool TryFind(string name, [NotNullWhen(true)] out CheckpointTensor? tensor) =>
        checkpoint.TryGetTensor(name, out tensor) || checkpoint.TryGetTensor(Prefix + name, out tensor);

    public CheckpointTensor Get(string name, int rows, int columns)
    {
        if (!TryFind(name, out var tensor))
        {
            throw new CheckpointException($"tensor '{name}' (or '{Prefix}{name}') is missing from the checkpoint");
        }
        CheckShape(tensor, rows, columns);
        FormatOf(tensor);
        return tensor;
    }

    public float[] Vector(string name, int length)
    {
        if (!TryFind(name, out var tensor))
        {
            throw new CheckpointException($"tensor '{name}' (or '{Prefix}{name}') is missing from the checkpoint");
        }
        if (tensor.Shape.Count != 1 || tensor.Shape[0] != length)
        {
            throw new CheckpointException($"tensor '{tensor.Name}' has shape [{string.Join(", ", tensor.Shape)}]; expected [{length}]");
        }
        var values = new float[length];
        NumberFormats.ToSingle(FormatOf(tensor), tensor.Bytes, values);
        return values;
    }

    public static void CheckShape(CheckpointTensor tensor, int rows, int columns)
    {
        if (tensor.Shape.Count != 2 || tensor.Shape[0] != rows || tensor.Shape[1] != columns)
        {
            throw new CheckpointException(
                $"tensor '{tensor.Name}' has shape [{string.Join(", ", tensor.Shape)}]; the config implies [{rows}, {columns}]");
        }
    }

    public static WeightFormat FormatOf(CheckpointTensor tensor) => tensor.Type switch
    {
        TensorType.F32 => WeightFormat.F32,
        TensorType.BF16 => WeightFormat.BF16,
        TensorType.F16 => WeightFormat.F16,
        _ => throw new CheckpointException($"tensor '{tensor.Name}' is {tensor.Type}; Sift reads F32, F16 and BF16 weights"),
    };

    public static void ReadRow(CheckpointTensor tensor, int row, Span<float> destination) =>
        NumberFormats.ToSingle(FormatOf(tensor), tensor.RowBytes(row), destination);
}
