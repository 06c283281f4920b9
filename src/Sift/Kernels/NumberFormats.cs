using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Numerics.Tensors;

namespace Sift.Kernels;

/// <summary>Conversions between the stored number formats (bf16, fp16, fp32) and fp32.</summary>
public static class NumberFormats
{
    /// <summary>2^112: scales a half's exponent field, moved into a float's, to the right value (normals and subnormals).</summary>
    private const float HalfExponentAdjust = 5.192297e33f;

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
    public static void BFloat16ToSingle(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException($"destination holds {destination.Length} values, source {source.Length}", nameof(destination));
        }
        var widened = MemoryMarshal.Cast<float, uint>(destination);
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= source.Length - 16; i += 16)
            {
                var bits = Vector512.WidenLower(Vector512.Create(Vector256.Create(source.Slice(i, 16)), Vector256<ushort>.Zero));
                (bits << 16).CopyTo(widened.Slice(i, 16));
            }
        }
        for (; i < source.Length; i++)
        {
            widened[i] = (uint)source[i] << 16;
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

    /// <summary>Zero-extends 16 consecutive 16-bit values into 32-bit lanes (one vpmovzxwd).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe Vector512<uint> Widen16(byte* source) =>
        Vector512.WidenLower(Vector512.Create(Vector256.Load((ushort*)source), Vector256<ushort>.Zero));

    /// <summary>Widens 16 halves (zero-extended into 32-bit lanes) to floats, exactly, infinities and NaN included.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> HalfToSingle(Vector512<uint> half)
    {
        var sign = (half & Vector512.Create(0x8000u)) << 16;
        var magnitude = half & Vector512.Create(0x7FFFu);
        var scaled = (magnitude << 13).AsSingle() * Vector512.Create(HalfExponentAdjust);
        var special = Vector512.GreaterThanOrEqual(magnitude, Vector512.Create(0x7C00u));
        var infinityOrNaN = ((magnitude << 13) | Vector512.Create(0x7F800000u)).AsSingle();
        return (Vector512.ConditionalSelect(special.AsSingle(), infinityOrNaN, scaled).AsUInt32() | sign).AsSingle();
    }
}
