using System.Numerics.Tensors;

namespace Sift.Kernels;

/// <summary>Root-mean-square normalization: w ⊙ x / sqrt(mean(x²) + ε), in fp32.</summary>
public static class RmsNorm
{
    /// <summary>Normalizes one vector into <paramref name="destination"/> (which may be <paramref name="x"/> itself).</summary>
    public static void Apply(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> destination, float epsilon)
    {
        if (weight.Length != x.Length || destination.Length < x.Length)
        {
            throw new ArgumentException($"RmsNorm over {x.Length} values needs {x.Length} weights (got {weight.Length}) and room for {x.Length} outputs (got {destination.Length})");
        }
        var meanSquare = TensorPrimitives.SumOfSquares(x) / x.Length;
        var inverseRms = (float)(1.0 / Math.Sqrt(meanSquare + epsilon));
        TensorPrimitives.Multiply(x, inverseRms, destination);
        TensorPrimitives.Multiply(destination[..x.Length], weight, destination);
    }

    /// <summary>Normalizes <paramref name="rows"/> rows of width weight.Length, row strides as given.</summary>
    public static void ApplyRows(ReadOnlySpan<float> x, int xStride, ReadOnlySpan<float> weight, Span<float> destination, int destinationStride, int rows, float epsilon)
    {
        var width = weight.Length;
        for (var row = 0; row < rows; row++)
        {
            Apply(x.Slice(row * xStride, width), weight, destination.Slice(row * destinationStride, width), epsilon);
        }
    }
}
