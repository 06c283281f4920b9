using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Sift.Kernels.Vectors;

namespace Sift.Kernels;

/// <summary>Vector math the kernels need beyond what the runtime's vector types offer exactly.</summary>
public static unsafe class SimdMath
{
    /// <summary>Below this, e^x is under the smallest normal float; the result is 0 (as for −∞).</summary>
    private const float ExpLowerLimit = -87f;

    /// <summary>Above this, e^x overflows; inputs are clamped here.</summary>
    private const float ExpUpperLimit = 88.72283f;

    /// <summary>e^x of each value (as <see cref="Exp{TWidth, TVector}"/>, on this process's <see cref="KernelPath"/>).</summary>
    public static void Exp(ReadOnlySpan<float> x, Span<float> destination)
    {
        if (destination.Length < x.Length)
        {
            throw new ArgumentException($"destination holds {destination.Length} values, x {x.Length}", nameof(destination));
        }
        fixed (float* source = x)
        fixed (float* target = destination)
        {
            if (KernelPath.Uses512)
            {
                ExpSpan<Width512, Vector512<float>>(source, target, x.Length);
            }
            else if (KernelPath.Uses256)
            {
                ExpSpan<Width256, Vector256<float>>(source, target, x.Length);
            }
            else
            {
                ExpSpan<Width128, Vector128<float>>(source, target, x.Length);
            }
        }
    }

    /// <summary>
    /// e^x per lane, within 2 ulp, with e^0 = 1 exactly and e^−∞ = 0. The runtime's vector Exp
    /// returns 1.0000001 for 0, and the online softmax relies on an exact 1 when a tile does not
    /// raise the running maximum (otherwise a query's result would depend on its block).
    /// Cody–Waite reduction x = n·ln2 + r, then the Cephes degree-6 polynomial for e^r.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVector Exp<TWidth, TVector>(TVector x)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
    {
        var underflow = TWidth.LessThan(x, TWidth.Create(ExpLowerLimit));
        x = TWidth.Min(TWidth.Max(x, TWidth.Create(ExpLowerLimit)), TWidth.Create(ExpUpperLimit));
        var n = TWidth.Round(TWidth.Multiply(x, TWidth.Create(1.44269504088896341f)));
        var r = TWidth.FusedMultiplyAdd(n, TWidth.Create(-0.693359375f), x);
        r = TWidth.FusedMultiplyAdd(n, TWidth.Create(2.12194440e-4f), r);
        var p = TWidth.Create(1.9875691500e-4f);
        p = TWidth.FusedMultiplyAdd(p, r, TWidth.Create(1.3981999507e-3f));
        p = TWidth.FusedMultiplyAdd(p, r, TWidth.Create(8.3334519073e-3f));
        p = TWidth.FusedMultiplyAdd(p, r, TWidth.Create(4.1665795894e-2f));
        p = TWidth.FusedMultiplyAdd(p, r, TWidth.Create(1.6666665459e-1f));
        p = TWidth.FusedMultiplyAdd(p, r, TWidth.Create(5.0000001201e-1f));
        var y = TWidth.Add(TWidth.FusedMultiplyAdd(p, TWidth.Multiply(r, r), r), TWidth.Create(1f));
        return TWidth.ConditionalSelect(underflow, TWidth.Zero, TWidth.ScaleByPowerOfTwo(y, n));
    }

    internal static void ExpSpan<TWidth, TVector>(float* x, float* destination, int length)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
    {
        var i = 0;
        for (; i <= length - TWidth.Count; i += TWidth.Count)
        {
            TWidth.Store(Exp<TWidth, TVector>(TWidth.Load(x + i)), destination + i);
        }
        if (i < length)
        {
            var tail = stackalloc float[TWidth.Count];
            new Span<float>(tail, TWidth.Count).Clear();
            new ReadOnlySpan<float>(x + i, length - i).CopyTo(new Span<float>(tail, TWidth.Count));
            TWidth.Store(Exp<TWidth, TVector>(TWidth.Load(tail)), tail);
            new ReadOnlySpan<float>(tail, length - i).CopyTo(new Span<float>(destination + i, length - i));
        }
    }
}
