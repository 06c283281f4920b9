using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Sift.Kernels.Vectors;

/// <summary>
/// 4 fp32 lanes: ARM64 AdvSimd (32 registers, FMA, int8 by SDOT where the CPU has it), and the
/// portable path for every other CPU (SSE on x86 without AVX2, or the runtime's software vectors).
/// </summary>
internal readonly unsafe struct Width128 : IVectorWidth<Vector128<float>>, IInt8Width<Vector128<int>, Vector128<float>>
{
    public static int Count => Vector128<float>.Count;

    /// <summary>
    /// 8 rows × 2 vectors = 16 accumulators on ARM64's 32 registers; 6 rows (12 accumulators) where
    /// there are 16 (x86 SSE).
    /// </summary>
    public static int TileRows => AdvSimd.Arm64.IsSupported ? 8 : 6;

    public static Vector128<float> Zero => Vector128<float>.Zero;

    public static string DotBytesInstructions =>
        Dp.IsSupported ? "SDOT (ARM64 dot product)"
        : AdvSimd.Arm64.IsSupported ? "SMULL + SADDLP + ADDP (ARM64 AdvSimd)"
        : Ssse3.IsSupported ? "pmaddubsw + pmaddwd + paddd (SSSE3)"
        : "scalar";

    public static string DotPairsInstructions =>
        AdvSimd.Arm64.IsSupported ? "SMULL + ADDP (ARM64 AdvSimd)"
        : Sse2.IsSupported ? "pmovsxbw + pmaddwd + paddd (SSE2)"
        : "scalar";

    /// <summary>Whether a·b + c rounds once: FMA hardware on ARM64 and on x86 with FMA; two roundings otherwise.</summary>
    public static bool HasFusedMultiplyAdd => AdvSimd.IsSupported || Fma.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Create(float value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load(float* source) => Vector128.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<float> value, float* destination) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LoadBFloat16(ushort* source) =>
        (Vector128.WidenLower(Vector128.CreateScalar(*(ulong*)source).AsUInt16()) << 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Add(Vector128<float> left, Vector128<float> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Subtract(Vector128<float> left, Vector128<float> right) => left - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Multiply(Vector128<float> left, Vector128<float> right) => left * right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Divide(Vector128<float> left, Vector128<float> right) => left / right;

    /// <remarks>
    /// Without FMA hardware the runtime would emulate the single rounding in software, element by
    /// element, tens of times slower; this path rounds twice instead (results stay within the
    /// cross-path tolerance, and within the path every element still follows one fixed chain).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> FusedMultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) =>
        HasFusedMultiplyAdd ? Vector128.FusedMultiplyAdd(a, b, c) : a * b + c;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Max(Vector128<float> left, Vector128<float> right) => Vector128.Max(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Min(Vector128<float> left, Vector128<float> right) => Vector128.Min(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Round(Vector128<float> value) => Vector128.Round(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LessThan(Vector128<float> left, Vector128<float> right) => Vector128.LessThan(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> GreaterThan(Vector128<float> left, Vector128<float> right) => Vector128.GreaterThan(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ConditionalSelect(Vector128<float> mask, Vector128<float> whenTrue, Vector128<float> whenFalse) =>
        Vector128.ConditionalSelect(mask, whenTrue, whenFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ScaleByPowerOfTwo(Vector128<float> y, Vector128<float> n) =>
        (y.AsInt32() + (Vector128.ConvertToInt32(n) << 23)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector128<float> value) => Vector128.Sum(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxMagnitude(float* values, int count)
    {
        var magnitude = Vector128.Create(int.MaxValue);
        var largest = Vector128.Load((int*)values) & magnitude;
        for (var i = Count; i < count; i += Count)
        {
            largest = Vector128.Max(largest, Vector128.Load((int*)(values + i)) & magnitude);
        }
        return MaxAcrossBits(largest);
    }

    /// <summary>The largest of four non-negative float bit patterns (or NaN's, above all of them), as the float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float MaxAcrossBits(Vector128<int> bits)
    {
        bits = Vector128.Max(bits, Vector128.Shuffle(bits, Vector128.Create(2, 3, 0, 1)));
        bits = Vector128.Max(bits, Vector128.Shuffle(bits, Vector128.Create(1, 0, 3, 2)));
        return BitConverter.Int32BitsToSingle(bits.ToScalar());
    }

    /// <summary>Round to nearest, ties to even, to int32, by the CPU's own instructions where it has them (identical for values in range).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> RoundToInt32(Vector128<float> value)
    {
        if (AdvSimd.IsSupported)
        {
            return AdvSimd.ConvertToInt32RoundToEven(value);
        }
        if (Sse41.IsSupported)
        {
            // roundps with the mode in the instruction (not MXCSR's), then an exact conversion.
            return Sse2.ConvertToVector128Int32WithTruncation(Sse41.RoundToNearestInteger(value));
        }
        return Vector128.ConvertToInt32(Vector128.Round(value));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreRoundedInt16(Vector128<float> low, Vector128<float> high, short* destination)
    {
        if (Sse2.IsSupported)
        {
            // The saturating pack is exact for values in range, and one instruction where Narrow's truncation takes several.
            Sse2.PackSignedSaturate(RoundToInt32(low), RoundToInt32(high)).Store(destination);
            return;
        }
        Vector128.Narrow(RoundToInt32(low), RoundToInt32(high)).Store(destination);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreRoundedBytes(Vector128<float> value, int offset, byte* destination)
    {
        var integers = RoundToInt32(value) + Vector128.Create(offset);
        if (Sse2.IsSupported)
        {
            var packed = Sse2.PackSignedSaturate(integers, integers);
            *(uint*)destination = Sse2.PackUnsignedSaturate(packed, packed).AsUInt32().ToScalar();
            return;
        }
        var words = Vector128.Narrow(integers, Vector128<int>.Zero);
        *(uint*)destination = Vector128.Narrow(words, Vector128<short>.Zero).AsUInt32().ToScalar();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> LoadInt32(int* source) => Vector128.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> CreateInt32(int value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> LoadBytes(byte* weights) => Vector128.Load((int*)weights);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> DotBytes(Vector128<int> accumulator, Vector128<int> activations, Vector128<int> weights)
    {
        var w = weights.AsSByte();
        if (Dp.IsSupported)
        {
            // Activations are at most 127, so their bytes read the same as signed.
            return Dp.DotProduct(accumulator, activations.AsSByte(), w);
        }
        if (AdvSimd.Arm64.IsSupported)
        {
            // 16 int16 products (at most 127·127), summed in pairs to int32, then the pairs of pairs.
            var a = activations.AsSByte();
            var low = AdvSimd.AddPairwiseWidening(AdvSimd.MultiplyWideningLower(a.GetLower(), w.GetLower()));
            var high = AdvSimd.AddPairwiseWidening(AdvSimd.MultiplyWideningUpper(a, w));
            return accumulator + AdvSimd.Arm64.AddPairwise(low, high);
        }
        if (Ssse3.IsSupported)
        {
            return accumulator + Sse2.MultiplyAddAdjacent(Ssse3.MultiplyAddAdjacent(activations.AsByte(), w), Vector128.Create((short)1));
        }
        return accumulator + DotBytesScalar(activations.AsByte(), w);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> LoadPairs(sbyte* weights) =>
        Vector128.WidenLower(Vector128.CreateScalar(*(ulong*)weights).AsSByte()).AsInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> DotPairs(Vector128<int> accumulator, Vector128<int> activations, Vector128<int> weights)
    {
        var w = weights.AsInt16();
        var a = activations.AsInt16();
        if (AdvSimd.Arm64.IsSupported)
        {
            return accumulator + AdvSimd.Arm64.AddPairwise(AdvSimd.MultiplyWideningLower(a.GetLower(), w.GetLower()), AdvSimd.MultiplyWideningUpper(a, w));
        }
        if (Sse2.IsSupported)
        {
            return accumulator + Sse2.MultiplyAddAdjacent(a, w);
        }
        return accumulator + DotPairsScalar(a, w);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ConvertToSingle(Vector128<int> value) => Vector128.ConvertToSingle(value);

    private static Vector128<int> DotBytesScalar(Vector128<byte> activations, Vector128<sbyte> weights)
    {
        var sums = Vector128<int>.Zero;
        for (var lane = 0; lane < 4; lane++)
        {
            var sum = 0;
            for (var i = 0; i < 4; i++)
            {
                sum += activations.GetElement(4 * lane + i) * weights.GetElement(4 * lane + i);
            }
            sums = sums.WithElement(lane, sum);
        }
        return sums;
    }

    private static Vector128<int> DotPairsScalar(Vector128<short> activations, Vector128<short> weights)
    {
        var sums = Vector128<int>.Zero;
        for (var lane = 0; lane < 4; lane++)
        {
            sums = sums.WithElement(lane, activations.GetElement(2 * lane) * weights.GetElement(2 * lane)
                + activations.GetElement(2 * lane + 1) * weights.GetElement(2 * lane + 1));
        }
        return sums;
    }
}
