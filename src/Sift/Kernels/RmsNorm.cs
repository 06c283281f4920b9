using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
        var meanSquare = SumOfSquares(x) / x.Length;
        var inverseRms = (float)(1.0 / Math.Sqrt(meanSquare + epsilon));
        ref var source = ref MemoryMarshal.GetReference(x);
        ref var scale = ref MemoryMarshal.GetReference(weight);
        ref var target = ref MemoryMarshal.GetReference(destination);
        var factor = Vector512.Create(inverseRms);
        var i = 0;
        for (; i <= x.Length - Vector512<float>.Count; i += Vector512<float>.Count)
        {
            (Vector512.LoadUnsafe(ref source, (nuint)i) * factor * Vector512.LoadUnsafe(ref scale, (nuint)i)).StoreUnsafe(ref target, (nuint)i);
        }
        for (; i < x.Length; i++)
        {
            Unsafe.Add(ref target, i) = Unsafe.Add(ref source, i) * inverseRms * Unsafe.Add(ref scale, i);
        }
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

    /// <summary>
    /// Σx² in one fixed order (16 lanes from the first element, then the tail, then the lanes):
    /// the same bits wherever the row sits in memory, which a reduction that first aligns its
    /// pointer would not guarantee, and batch invariance needs.
    /// </summary>
    private static float SumOfSquares(ReadOnlySpan<float> x)
    {
        ref var source = ref MemoryMarshal.GetReference(x);
        var sum = Vector512<float>.Zero;
        var i = 0;
        for (; i <= x.Length - Vector512<float>.Count; i += Vector512<float>.Count)
        {
            var v = Vector512.LoadUnsafe(ref source, (nuint)i);
            sum = Vector512.FusedMultiplyAdd(v, v, sum);
        }
        var tail = 0f;
        for (; i < x.Length; i++)
        {
            var v = Unsafe.Add(ref source, i);
            tail = MathF.FusedMultiplyAdd(v, v, tail);
        }
        return Vector512.Sum(sum) + tail;
    }
}
