using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sift.Kernels.Vectors;

/// <summary>AVX-512 (F + BW): 16 fp32 lanes in 32 zmm registers.</summary>
internal readonly unsafe struct Width512 : IVectorWidth<Vector512<float>>, IInt8Width<Vector512<int>, Vector512<float>>
{
    public static int Count => Vector512<float>.Count;

    /// <summary>8 rows × 2 vectors = 16 accumulators, plus 2 weight vectors and a broadcast, of 32 registers.</summary>
    public static int TileRows => 8;

    public static Vector512<float> Zero => Vector512<float>.Zero;

    public static string DotBytesInstructions => "vpmaddubsw + vpmaddwd + vpaddd (AVX-512BW, 512-bit)";

    public static string DotPairsInstructions => "vpmovsxbw + vpmaddwd + vpaddd (AVX-512BW, 512-bit)";

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Create(float value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(float* source) => Vector512.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> value, float* destination) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadBFloat16(ushort* source) =>
        (Vector512.WidenLower(Vector512.Create(Vector256.Load(source), Vector256<ushort>.Zero)) << 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> left, Vector512<float> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Subtract(Vector512<float> left, Vector512<float> right) => left - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Multiply(Vector512<float> left, Vector512<float> right) => left * right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Divide(Vector512<float> left, Vector512<float> right) => left / right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> FusedMultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Max(Vector512<float> left, Vector512<float> right) => Vector512.Max(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Min(Vector512<float> left, Vector512<float> right) => Vector512.Min(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Round(Vector512<float> value) => Vector512.Round(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LessThan(Vector512<float> left, Vector512<float> right) => Vector512.LessThan(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> GreaterThan(Vector512<float> left, Vector512<float> right) => Vector512.GreaterThan(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ConditionalSelect(Vector512<float> mask, Vector512<float> whenTrue, Vector512<float> whenFalse) =>
        Vector512.ConditionalSelect(mask, whenTrue, whenFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ScaleByPowerOfTwo(Vector512<float> y, Vector512<float> n) =>
        (y.AsInt32() + (Vector512.ConvertToInt32(n) << 23)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector512<float> value) => Vector512.Sum(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxMagnitude(float* values, int count)
    {
        var magnitude = Vector512.Create(int.MaxValue);
        var largest = Vector512.Load((int*)values) & magnitude;
        for (var i = Count; i < count; i += Count)
        {
            largest = Vector512.Max(largest, Vector512.Load((int*)(values + i)) & magnitude);
        }
        var half = Vector256.Max(largest.GetLower(), largest.GetUpper());
        return Width128.MaxAcrossBits(Vector128.Max(half.GetLower(), half.GetUpper()));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreRoundedInt16(Vector512<float> low, Vector512<float> high, short* destination) =>
        Vector512.Narrow(RoundToInt32(low), RoundToInt32(high)).Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreRoundedBytes(Vector512<float> value, int offset, byte* destination) =>
        Avx512F.ConvertToVector128Byte(RoundToInt32(value) + Vector512.Create(offset)).Store(destination);

    /// <summary>Round to nearest, ties to even, to int32 in one vcvtps2dq with the rounding in the instruction (not MXCSR's).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> RoundToInt32(Vector512<float> value) => Avx512F.ConvertToVector512Int32(value, FloatRoundingMode.ToEven);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> LoadInt32(int* source) => Vector512.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> CreateInt32(int value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> LoadBytes(byte* weights) => Vector512.Load((int*)weights);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> DotBytes(Vector512<int> accumulator, Vector512<int> activations, Vector512<int> weights) =>
        accumulator + Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(activations.AsByte(), weights.AsSByte()), Vector512.Create((short)1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> LoadPairs(sbyte* weights) => Avx512BW.ConvertToVector512Int16(Vector256.Load(weights)).AsInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> DotPairs(Vector512<int> accumulator, Vector512<int> activations, Vector512<int> weights) =>
        accumulator + Avx512BW.MultiplyAddAdjacent(activations.AsInt16(), weights.AsInt16());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ConvertToSingle(Vector512<int> value) => Vector512.ConvertToSingle(value);
}
