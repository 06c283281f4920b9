using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Sift.Kernels.Vectors;

namespace Sift.Tests.Kernels;

/// <summary>A check to run once per register width, with the width's types as type arguments.</summary>
internal interface IWidthCheck
{
    void Run<TWidth, TVector, TInt>()
        where TWidth : struct, IVectorWidth<TVector>, IInt8Width<TInt, TVector>
        where TVector : struct
        where TInt : struct;
}

/// <summary>
/// The register widths this machine can run: on an AVX-512 machine all three, so the AVX2 and
/// 128-bit code is exercised here too (the forced-ISA reruns in CI then cover the whole engine).
/// </summary>
internal static class VectorWidths
{
    public static TheoryData<int> Supported()
    {
        var widths = new TheoryData<int>();
        if (Vector512.IsHardwareAccelerated && Avx512BW.IsSupported)
        {
            widths.Add(512);
        }
        if (Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported)
        {
            widths.Add(256);
        }
        widths.Add(128);
        return widths;
    }

    public static void Run<TCheck>(int bits, TCheck check) where TCheck : IWidthCheck
    {
        switch (bits)
        {
            case 512: check.Run<Width512, Vector512<float>, Vector512<int>>(); break;
            case 256: check.Run<Width256, Vector256<float>, Vector256<int>>(); break;
            case 128: check.Run<Width128, Vector128<float>, Vector128<int>>(); break;
            default: throw new ArgumentOutOfRangeException(nameof(bits), bits, "no such width");
        }
    }
}
