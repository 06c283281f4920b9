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
        ReadFiniteRow(tensor, 0, values);
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

    /// <summary>
    /// The format a tensor's weights keep in memory: float types as stored; Q8_0 stays int8, and
    /// k-quants become int8 too (their 4-6-bit values fit int8 blocks with little loss, and one
    /// int8 kernel serves them all).
    /// </summary>
    public static WeightFormat FormatOf(CheckpointTensor tensor) => tensor.Type switch
    {
        TensorType.F32 => WeightFormat.F32,
        TensorType.BF16 => WeightFormat.BF16,
        TensorType.F16 => WeightFormat.F16,
        TensorType.Q8_0 or TensorType.Q4_K or TensorType.Q5_K or TensorType.Q6_K => WeightFormat.Int8,
        _ => throw new CheckpointException($"tensor '{tensor.Name}' is {tensor.Type}; Sift reads F32, F16, BF16, Q8_0, Q4_K, Q5_K and Q6_K weights"),
    };

    /// <summary>
    /// Whether a matrix packed from <paramref name="sources"/> keeps Q8_0's blocks of 32 in the int8
    /// formats: all of them are Q8_0 already, so their values pass through unchanged (see <see cref="Int8Layout"/>).
    /// </summary>
    public static bool KeepsQ8Blocks(params ReadOnlySpan<CheckpointTensor> sources)
    {
        if (sources.IsEmpty)
        {
            throw new ArgumentException("a packed matrix has at least one source tensor", nameof(sources));
        }
        foreach (var tensor in sources)
        {
            if (tensor.Type != TensorType.Q8_0)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// As <see cref="ReadRow"/>, refusing a row that holds NaN or infinity: such a weight makes
    /// every output it reaches NaN, so a corrupt checkpoint is named at load, not guessed at from
    /// its answers.
    /// </summary>
    public static void ReadFiniteRow(CheckpointTensor tensor, int row, Span<float> destination)
    {
        ReadRow(tensor, row, destination);
        if (!IsFinite(destination))
        {
            throw new NonFiniteWeightException(tensor.Name, row);
        }
    }

    /// <summary>Whether every value is finite (the largest magnitude is NaN or infinite otherwise).</summary>
    public static bool IsFinite(ReadOnlySpan<float> values) => values.IsEmpty || float.IsFinite(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(values));

    /// <summary>Row <paramref name="row"/> of a tensor (of any type Sift reads) as fp32.</summary>
    public static void ReadRow(CheckpointTensor tensor, int row, Span<float> destination)
    {
        var bytes = tensor.RowBytes(row);
        switch (tensor.Type)
        {
            case TensorType.F32:
            case TensorType.BF16:
            case TensorType.F16:
                NumberFormats.ToSingle(FormatOf(tensor), bytes, destination);
                break;
            case TensorType.Q8_0:
                Dequantization.Q8_0(bytes, destination);
                break;
            case TensorType.Q4_K:
                Dequantization.Q4_K(bytes, destination);
                break;
            case TensorType.Q5_K:
                Dequantization.Q5_K(bytes, destination);
                break;
            case TensorType.Q6_K:
                Dequantization.Q6_K(bytes, destination);
                break;
            default:
                FormatOf(tensor);
                break;
        }
    }
}
