using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sift.Kernels.Vectors;

/// <summary>AVX2 + FMA: 8 fp32 lanes in 16 ymm registers; int8 through AVX-VNNI where the CPU has it.</summary>
internal readonly unsafe struct Width256 : IVectorWidth<Vector256<float>>, IInt8Width<Vector256<int>, Vector256<float>>
{
    public static int Count => Vector256<float>.Count;

    /// <summary>6 rows × 2 vectors = 12 accumulators, plus 2 weight vectors and a broadcast, of 16 registers.</summary>
    public static int TileRows => 6;

    public static Vector256<float> Zero => Vector256<float>.Zero;

    public static string DotBytesInstructions => AvxVnni.IsSupported
        ? "vpdpbusd (AVX-VNNI, 256-bit)"
        : "vpmaddubsw + vpmaddwd + vpaddd (AVX2)";

    public static string DotPairsInstructions => "vpmovsxbw + vpmaddwd + vpaddd (AVX2)";

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Create(float value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* source) => Vector256.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> value, float* destination) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadBFloat16(ushort* source) =>
        (Vector256.WidenLower(Vector128.Load(source).ToVector256Unsafe()) << 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> left, Vector256<float> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Subtract(Vector256<float> left, Vector256<float> right) => left - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Multiply(Vector256<float> left, Vector256<float> right) => left * right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Divide(Vector256<float> left, Vector256<float> right) => left / right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> FusedMultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Max(Vector256<float> left, Vector256<float> right) => Vector256.Max(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Min(Vector256<float> left, Vector256<float> right) => Vector256.Min(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Round(Vector256<float> value) => Vector256.Round(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LessThan(Vector256<float> left, Vector256<float> right) => Vector256.LessThan(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> GreaterThan(Vector256<float> left, Vector256<float> right) => Vector256.GreaterThan(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ConditionalSelect(Vector256<float> mask, Vector256<float> whenTrue, Vector256<float> whenFalse) =>
        Vector256.ConditionalSelect(mask, whenTrue, whenFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ScaleByPowerOfTwo(Vector256<float> y, Vector256<float> n) =>
        (y.AsInt32() + (Vector256.ConvertToInt32(n) << 23)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256<float> value) => Vector256.Sum(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxMagnitude(float* values, int count)
    {
        var magnitude = Vector256.Create(int.MaxValue);
        var largest = Vector256.Load((int*)values) & magnitude;
        for (var i = Count; i < count; i += Count)
        {
            largest = Vector256.Max(largest, Vector256.Load((int*)(values + i)) & magnitude);
        }
        return Width128.MaxAcrossBits(Vector128.Max(largest.GetLower(), largest.GetUpper()));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreRoundedInt16(Vector256<float> low, Vector256<float> high, short* destination) =>
        // Saturating packs are exact for values in range; they pack within 128-bit lanes, so the 64-bit quarters are put back in order.
        Avx2.Permute4x64(Avx2.PackSignedSaturate(RoundToInt32(low), RoundToInt32(high)).AsInt64(), 0b11_01_10_00).AsInt16().Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreRoundedBytes(Vector256<float> value, int offset, byte* destination)
    {
        var integers = RoundToInt32(value) + Vector256.Create(offset);
        var words = Avx2.PackSignedSaturate(integers, integers);
        // Bytes 0-3 of each 128-bit lane hold the lane's four results.
        var bytes = Avx2.PackUnsignedSaturate(words, words).AsInt32();
        *(ulong*)destination = Avx2.PermuteVar8x32(bytes, Vector256.Create(0, 4, 0, 0, 0, 0, 0, 0)).AsUInt64().ToScalar();
    }

    /// <summary>
    /// Round to nearest, ties to even (vroundps with the mode in the instruction, not MXCSR's, which
    /// native code in the process could change), then an exact conversion of the integral value.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> RoundToInt32(Vector256<float> value) => Avx.ConvertToVector256Int32WithTruncation(Avx.RoundToNearestInteger(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> LoadInt32(int* source) => Vector256.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> CreateInt32(int value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> LoadBytes(byte* weights) => Vector256.Load((int*)weights);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotBytes(Vector256<int> accumulator, Vector256<int> activations, Vector256<int> weights) => AvxVnni.IsSupported
        ? AvxVnni.MultiplyWideningAndAdd(accumulator, activations.AsByte(), weights.AsSByte())
        : accumulator + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(activations.AsByte(), weights.AsSByte()), Vector256.Create((short)1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> LoadPairs(sbyte* weights) => Avx2.ConvertToVector256Int16(Vector128.Load(weights)).AsInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotPairs(Vector256<int> accumulator, Vector256<int> activations, Vector256<int> weights) =>
        accumulator + Avx2.MultiplyAddAdjacent(activations.AsInt16(), weights.AsInt16());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ConvertToSingle(Vector256<int> value) => Vector256.ConvertToSingle(value);
}
