using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Sift.Kernels;

/// <summary>Vector math the kernels need beyond what <see cref="Vector512"/> offers exactly.</summary>
public static class SimdMath
{
    /// <summary>Below this, e^x is under the smallest normal float; the result is 0 (as for −∞).</summary>
    private const float ExpLowerLimit = -87f;

    /// <summary>Above this, e^x overflows; inputs are clamped here.</summary>
    private const float ExpUpperLimit = 88.72283f;

    /// <summary>
    /// e^x per lane, within 2 ulp, with e^0 = 1 exactly and e^−∞ = 0. The runtime's Vector512.Exp
    /// returns 1.0000001 for 0, and the online softmax relies on an exact 1 when a tile does not
    /// raise the running maximum (otherwise a query's result would depend on its block).
    /// Cody–Waite reduction x = n·ln2 + r, then the Cephes degree-6 polynomial for e^r.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var underflow = Vector512.LessThan(x, Vector512.Create(ExpLowerLimit));
        x = Vector512.Min(Vector512.Max(x, Vector512.Create(ExpLowerLimit)), Vector512.Create(ExpUpperLimit));
        var n = Vector512.Round(x * Vector512.Create(1.44269504088896341f));
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-0.693359375f), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(2.12194440e-4f), r);
        var p = Vector512.Create(1.9875691500e-4f);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.3981999507e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(8.3334519073e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(4.1665795894e-2f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.6666665459e-1f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(5.0000001201e-1f));
        var y = Vector512.FusedMultiplyAdd(p, r * r, r) + Vector512<float>.One;
        var scaled = (y.AsInt32() + (Vector512.ConvertToInt32(n) << 23)).AsSingle();
        return Vector512.ConditionalSelect(underflow.AsSingle(), Vector512<float>.Zero, scaled);
    }
}
