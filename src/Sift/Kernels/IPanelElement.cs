using System.Runtime.CompilerServices;
using Sift.Kernels.Vectors;

namespace Sift.Kernels;

/// <summary>
/// A storage format the GEMM micro-kernel reads weight panels in directly: its size and how a
/// vector's worth of consecutive elements widens to fp32. The micro-kernel is generic over this,
/// and the JIT specialises it per format. Every widening is exact, so results do not depend on
/// the path that widened a value. (fp16 panels are widened into scratch first, see <see cref="Gemm"/>.)
/// </summary>
internal unsafe interface IPanelElement
{
    static abstract int Bytes { get; }

    static abstract TVector Load<TWidth, TVector>(byte* source)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct;
}

internal readonly unsafe struct F32Element : IPanelElement
{
    public static int Bytes => sizeof(float);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector Load<TWidth, TVector>(byte* source)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct => TWidth.Load((float*)source);
}

internal readonly unsafe struct Bf16Element : IPanelElement
{
    public static int Bytes => sizeof(ushort);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector Load<TWidth, TVector>(byte* source)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct => TWidth.LoadBFloat16((ushort*)source);
}
