using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using Sift.Kernels.Emitted;
using Sift.Kernels.Vectors;

namespace Sift.Kernels;

/// <summary>
/// The SIMD code path every kernel of this process runs: chosen once, from what the CPU supports
/// and what the runtime enables (its <c>DOTNET_EnableAVX512=0</c>, <c>DOTNET_EnableAVX2=0</c>...
/// switches narrow it), and the same for the process's whole life.
/// </summary>
public sealed record KernelPath
{
    /// <summary>Short name: <c>avx512</c>, <c>avx2</c>, <c>arm64</c> or <c>vector128</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The instruction set extensions the kernels use, e.g. "AVX2 + FMA + AVX-VNNI".</summary>
    public required string InstructionSet { get; init; }

    /// <summary>Width of the vectors the kernels compute on.</summary>
    public required int VectorBits { get; init; }

    /// <summary>The fp32 GEMM (and attention) micro-kernel: vector type and register tile.</summary>
    public required string Float32 { get; init; }

    /// <summary>The default int8 mode: int8 weights × 8-bit activations, and the instructions that multiply them.</summary>
    public required string Int8 { get; init; }

    /// <summary>The accurate int8 mode (<see cref="WeightFormat.Int8A16"/>): int8 weights × 16-bit activations.</summary>
    public required string Int8A16 { get; init; }

    /// <summary>
    /// Whether the int8 tile emitted at run time (<c>vpdpbusd zmm</c>, AVX-512 VNNI) runs: "in use", or
    /// "not in use: " and why (the missing feature, <c>SIFT_EMITTED_KERNELS=0</c>, or the OS call that
    /// refused executable memory and its error), so that a host where int8 is slower says so.
    /// </summary>
    public required string EmittedInt8Tile { get; init; }

    /// <summary>The path of this process.</summary>
    public static KernelPath Current { get; } = Detect();

    /// <summary>AVX-512 (F + BW) with 512-bit vectors enabled by the runtime.</summary>
    internal static bool Uses512
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512.IsHardwareAccelerated && Avx512BW.IsSupported;
    }

    /// <summary>AVX2 + FMA (and no usable AVX-512).</summary>
    internal static bool Uses256
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => !Uses512 && Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported;
    }

    /// <summary>Columns of a GEMM panel and of an attention block: two vectors.</summary>
    internal static int PanelWidth
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Uses512 ? 2 * Width512.Count : Uses256 ? 2 * Width256.Count : 2 * Width128.Count;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({InstructionSet}): fp32 {Float32}; int8 {Int8}";

    private static KernelPath Detect()
    {
        if (Uses512)
        {
            var path = Describe<Width512, Vector512<float>, Vector512<int>>("avx512", "AVX-512F + AVX-512BW", "Vector512");
            return EmittedKernels.HasVnniTile
                ? path with { InstructionSet = "AVX-512F + AVX-512BW + AVX-512 VNNI", Int8 = "u8×s8, 7-bit activations per block of 128 values (32 on rows under 1024 and where the weights are Q8_0 already): vpdpbusd (AVX-512 VNNI, 512-bit, emitted at run time)" }
                : path;
        }
        if (Uses256)
        {
            return Describe<Width256, Vector256<float>, Vector256<int>>("avx2", AvxVnni.IsSupported ? "AVX2 + FMA + AVX-VNNI" : "AVX2 + FMA", "Vector256");
        }
        if (AdvSimd.Arm64.IsSupported)
        {
            return Describe<Width128, Vector128<float>, Vector128<int>>("arm64", Dp.IsSupported ? "ARM64 AdvSimd + dot product" : "ARM64 AdvSimd", "Vector128");
        }
        var instructions = Vector128.IsHardwareAccelerated
            ? (Sse41.IsSupported ? "SSE4.1" : Sse2.IsSupported ? "SSE2" : "hardware Vector128") + (Width128.HasFusedMultiplyAdd ? " + FMA" : ", no FMA")
            : "software Vector128";
        return Describe<Width128, Vector128<float>, Vector128<int>>("vector128", instructions, "Vector128");
    }

    private static KernelPath Describe<TWidth, TVector, TInt>(string name, string instructionSet, string vector)
        where TWidth : struct, IVectorWidth<TVector>, IInt8Width<TInt, TVector>
        where TVector : struct
        where TInt : struct => new()
        {
            Name = name,
            InstructionSet = instructionSet,
            VectorBits = TWidth.Count * 32,
            Float32 = $"{vector} {(typeof(TWidth) != typeof(Width128) || Width128.HasFusedMultiplyAdd ? "FMA" : "multiply + add (no FMA)")}, "
                + $"{TWidth.TileRows}×{2 * TWidth.Count} register tile",
            Int8 = $"u8×s8, 7-bit activations per block of 128 values (32 on rows under 1024 and where the weights are Q8_0 already): {TWidth.DotBytesInstructions}",
            Int8A16 = $"s16×s8, 15-bit activations per 32-value block: {TWidth.DotPairsInstructions}",
            EmittedInt8Tile = EmittedKernels.HasVnniTile ? "in use" : $"not in use: {EmittedKernels.UnavailableReason}",
        };
}
