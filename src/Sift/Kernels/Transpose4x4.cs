using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Sift.Kernels;

/// <summary>
/// A 4 × 4 fp32 transpose in registers: 8 shuffles move 16 values, where a scalar strided copy
/// needs 16 loads and 16 stores. Every path has 128-bit shuffles (SSE, AdvSimd), so one helper
/// serves them all; values are moved, never computed, so results are the same bits on each.
/// </summary>
internal static class Transpose4x4
{
    /// <summary>Replaces rows r0..r3 by columns 0..3 of the matrix they form.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Apply(ref Vector128<float> r0, ref Vector128<float> r1, ref Vector128<float> r2, ref Vector128<float> r3)
    {
        if (Sse.IsSupported)
        {
            var low01 = Sse.UnpackLow(r0, r1);   // r0[0] r1[0] r0[1] r1[1]
            var low23 = Sse.UnpackLow(r2, r3);   // r2[0] r3[0] r2[1] r3[1]
            var high01 = Sse.UnpackHigh(r0, r1); // r0[2] r1[2] r0[3] r1[3]
            var high23 = Sse.UnpackHigh(r2, r3);
            r0 = Sse.MoveLowToHigh(low01, low23);
            r1 = Sse.MoveHighToLow(low23, low01);
            r2 = Sse.MoveLowToHigh(high01, high23);
            r3 = Sse.MoveHighToLow(high23, high01);
        }
        else if (AdvSimd.Arm64.IsSupported)
        {
            var low01 = AdvSimd.Arm64.ZipLow(r0, r1).AsUInt64();
            var low23 = AdvSimd.Arm64.ZipLow(r2, r3).AsUInt64();
            var high01 = AdvSimd.Arm64.ZipHigh(r0, r1).AsUInt64();
            var high23 = AdvSimd.Arm64.ZipHigh(r2, r3).AsUInt64();
            r0 = AdvSimd.Arm64.ZipLow(low01, low23).AsSingle();
            r1 = AdvSimd.Arm64.ZipHigh(low01, low23).AsSingle();
            r2 = AdvSimd.Arm64.ZipLow(high01, high23).AsSingle();
            r3 = AdvSimd.Arm64.ZipHigh(high01, high23).AsSingle();
        }
        else
        {
            var (a, b, c, d) = (r0, r1, r2, r3);
            r0 = Vector128.Create(a[0], b[0], c[0], d[0]);
            r1 = Vector128.Create(a[1], b[1], c[1], d[1]);
            r2 = Vector128.Create(a[2], b[2], c[2], d[2]);
            r3 = Vector128.Create(a[3], b[3], c[3], d[3]);
        }
    }
}
