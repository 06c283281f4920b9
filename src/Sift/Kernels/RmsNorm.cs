using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Sift.Kernels.Vectors;

namespace Sift.Kernels;

/// <summary>Root-mean-square normalization: w ⊙ x / sqrt(mean(x²) + ε), in fp32.</summary>
public static unsafe class RmsNorm
{
    /// <summary>Normalizes one vector into <paramref name="destination"/> (which may be <paramref name="x"/> itself).</summary>
    public static void Apply(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> destination, float epsilon)
    {
        if (weight.Length != x.Length || destination.Length < x.Length)
        {
            throw new ArgumentException($"RmsNorm over {x.Length} values needs {x.Length} weights (got {weight.Length}) and room for {x.Length} outputs (got {destination.Length})");
        }
        fixed (float* source = x)
        fixed (float* scale = weight)
        fixed (float* target = destination)
        {
            if (KernelPath.Uses512)
            {
                Apply<Width512, Vector512<float>>(source, scale, target, x.Length, epsilon);
            }
            else if (KernelPath.Uses256)
            {
                Apply<Width256, Vector256<float>>(source, scale, target, x.Length, epsilon);
            }
            else
            {
                Apply<Width128, Vector128<float>>(source, scale, target, x.Length, epsilon);
            }
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

    private static void Apply<TWidth, TVector>(float* x, float* weight, float* destination, int length, float epsilon)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
    {
        var meanSquare = SumOfSquares<TWidth, TVector>(x, length) / length;
        var inverseRms = (float)(1.0 / Math.Sqrt(meanSquare + epsilon));
        var factor = TWidth.Create(inverseRms);
        var i = 0;
        for (; i <= length - TWidth.Count; i += TWidth.Count)
        {
            TWidth.Store(TWidth.Multiply(TWidth.Multiply(TWidth.Load(x + i), factor), TWidth.Load(weight + i)), destination + i);
        }
        for (; i < length; i++)
        {
            destination[i] = x[i] * inverseRms * weight[i];
        }
    }

    /// <summary>
    /// Σx² in one fixed order (one lane per vector position from the first element, then the tail,
    /// then the lanes): the same bits wherever the row sits in memory, which a reduction that first
    /// aligns its pointer would not guarantee, and batch invariance needs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float SumOfSquares<TWidth, TVector>(float* x, int length)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
    {
        var sum = TWidth.Zero;
        var i = 0;
        for (; i <= length - TWidth.Count; i += TWidth.Count)
        {
            var v = TWidth.Load(x + i);
            sum = TWidth.FusedMultiplyAdd(v, v, sum);
        }
        var tail = 0f;
        for (; i < length; i++)
        {
            tail = MathF.FusedMultiplyAdd(x[i], x[i], tail);
        }
        return TWidth.Sum(sum) + tail;
    }
}
