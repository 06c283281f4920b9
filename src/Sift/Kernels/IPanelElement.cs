using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Sift.Kernels;

/// <summary>
/// One storage format of floating-point weight panels: its size and how 16 consecutive elements
/// widen to fp32. The GEMM micro-kernel is generic over this, and the JIT specialises it per format.
/// Every widening is exact, so results do not depend on the path that widened a value.
/// </summary>
internal unsafe interface IPanelElement
{
    static abstract int Bytes { get; }

    static abstract Vector512<float> Load16(byte* source);

    static abstract void Store(float value, byte* destination);
}

internal readonly unsafe struct F32Element : IPanelElement
{
    public static int Bytes => 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* source) => Vector512.Load((float*)source);

    public static void Store(float value, byte* destination) => *(float*)destination = value;
}

internal readonly unsafe struct Bf16Element : IPanelElement
{
    public static int Bytes => 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* source) =>
        (NumberFormats.Widen16(source) << 16).AsSingle();

    public static void Store(float value, byte* destination) => *(ushort*)destination = NumberFormats.ToBFloat16(value);
}

internal readonly unsafe struct F16Element : IPanelElement
{
    public static int Bytes => 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* source) =>
        NumberFormats.HalfToSingle(NumberFormats.Widen16(source));

    public static void Store(float value, byte* destination) => *(Half*)destination = (Half)value;
}
