namespace Sift.Kernels.Vectors;

/// <summary>
/// The integer side of a register width, for the int8 GEMM: int32 lanes (one per output column)
/// that accumulate exact dot products of int8 weights with quantized activations. Each width
/// issues its own instruction sequence here (vpdpbusd, vpmaddubsw + vpmaddwd, SDOT, ...); the
/// integer results are the same on every path.
/// </summary>
/// <typeparam name="TInt">The int32 vector (Vector512&lt;int&gt;, Vector256&lt;int&gt; or Vector128&lt;int&gt;).</typeparam>
/// <typeparam name="TVector">The matching fp32 vector.</typeparam>
internal unsafe interface IInt8Width<TInt, TVector> where TInt : struct where TVector : struct
{
    /// <summary>The instructions <see cref="DotBytes"/> issues on this CPU.</summary>
    static abstract string DotBytesInstructions { get; }

    /// <summary>The instructions <see cref="DotPairs"/> issues on this CPU.</summary>
    static abstract string DotPairsInstructions { get; }

    static abstract TInt LoadInt32(int* source);

    /// <summary>Every lane = <paramref name="value"/> (4 activation bytes, or 2 int16 activations).</summary>
    static abstract TInt CreateInt32(int value);

    /// <summary>Count × 4 weight bytes as they are, for <see cref="DotBytes"/>.</summary>
    static abstract TInt LoadBytes(byte* weights);

    /// <summary>
    /// Lane j += Σᵢ₌₀..₃ a[i]·w[4j + i]: a is the 4 unsigned bytes in each lane of
    /// <paramref name="activations"/>, at most 127 (so a pair of products stays inside int16 and
    /// vpmaddubsw cannot saturate), w the signed bytes of <paramref name="weights"/>.
    /// </summary>
    static abstract TInt DotBytes(TInt accumulator, TInt activations, TInt weights);

    /// <summary>Count × 2 signed weight bytes widened to int16, for <see cref="DotPairs"/>.</summary>
    static abstract TInt LoadPairs(sbyte* weights);

    /// <summary>
    /// Lane j += a[0]·w[2j] + a[1]·w[2j + 1]: a is the 2 int16 values in each lane of
    /// <paramref name="activations"/>, w the int16 values of <paramref name="weights"/>.
    /// </summary>
    static abstract TInt DotPairs(TInt accumulator, TInt activations, TInt weights);

    /// <summary>int32 lanes to fp32 (exact below 2²⁴, which a block's sum stays under).</summary>
    static abstract TVector ConvertToSingle(TInt value);
}
