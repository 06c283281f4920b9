using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Sift.Kernels.Vectors;

namespace Sift.Kernels;

/// <summary>Conversions between the stored number formats (bf16, fp16, fp32) and fp32.</summary>
public static class NumberFormats
{
    /// <summary>Rounds to the nearest bfloat16, ties to even; exact for values that already are bfloat16.</summary>
    public static ushort ToBFloat16(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | 0x40);
        }
        var rounding = 0x7FFFu + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    /// <summary>Widens bfloat16 values (as raw bits) to fp32.</summary>
    public static unsafe void BFloat16ToSingle(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException($"destination holds {destination.Length} values, source {source.Length}", nameof(destination));
        }
        fixed (ushort* from = source)
        fixed (float* to = destination)
        {
            if (KernelPath.Uses512)
            {
                BFloat16ToSingle<Width512, Vector512<float>>(from, to, source.Length);
            }
            else if (KernelPath.Uses256)
            {
                BFloat16ToSingle<Width256, Vector256<float>>(from, to, source.Length);
            }
            else
            {
                BFloat16ToSingle<Width128, Vector128<float>>(from, to, source.Length);
            }
        }
    }

    /// <summary>Widens stored elements of <paramref name="format"/> (raw little-endian bytes) to fp32.</summary>
    public static void ToSingle(WeightFormat format, ReadOnlySpan<byte> source, Span<float> destination)
    {
        switch (format)
        {
            case WeightFormat.F32:
                MemoryMarshal.Cast<byte, float>(source).CopyTo(destination);
                break;
            case WeightFormat.BF16:
                BFloat16ToSingle(MemoryMarshal.Cast<byte, ushort>(source), destination);
                break;
            case WeightFormat.F16:
                TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(source), destination);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(format), format, "not a floating-point format");
        }
    }

    private static unsafe void BFloat16ToSingle<TWidth, TVector>(ushort* source, float* destination, int length)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
    {
        var i = 0;
        for (; i <= length - TWidth.Count; i += TWidth.Count)
        {
            TWidth.Store(TWidth.LoadBFloat16(source + i), destination + i);
        }
        for (; i < length; i++)
        {
            destination[i] = BitConverter.UInt32BitsToSingle((uint)source[i] << 16);
        }
    }
}
