namespace Sift.Kernels.Vectors;

/// <summary>
/// One SIMD register width as the kernels use it: a vector of <see cref="Count"/> fp32 lanes and
/// the operations on it. Each kernel is written once, generic over this interface; the JIT
/// compiles one copy per width (a struct type argument) with every call inlined to that width's
/// instructions, so the GEMM driver, packing, attention and workspace are not forked per
/// instruction set. Implemented by <see cref="Width512"/>, <see cref="Width256"/> and <see cref="Width128"/>.
/// </summary>
/// <typeparam name="TVector">Vector512&lt;float&gt;, Vector256&lt;float&gt; or Vector128&lt;float&gt;.</typeparam>
internal unsafe interface IVectorWidth<TVector> where TVector : struct
{
    /// <summary>fp32 lanes per vector.</summary>
    static abstract int Count { get; }

    /// <summary>Rows of the fp32 GEMM register tile (its columns are two vectors), sized to the register file.</summary>
    static abstract int TileRows { get; }

    static abstract TVector Zero { get; }

    static abstract TVector Create(float value);

    static abstract TVector Load(float* source);

    static abstract void Store(TVector value, float* destination);

    /// <summary>Widens <see cref="Count"/> bfloat16 values (raw bits) to fp32, exactly.</summary>
    static abstract TVector LoadBFloat16(ushort* source);

    static abstract TVector Add(TVector left, TVector right);

    static abstract TVector Subtract(TVector left, TVector right);

    static abstract TVector Multiply(TVector left, TVector right);

    static abstract TVector Divide(TVector left, TVector right);

    /// <summary>a·b + c, rounded once where the CPU has FMA (every path but a portable one without it).</summary>
    static abstract TVector FusedMultiplyAdd(TVector a, TVector b, TVector c);

    static abstract TVector Max(TVector left, TVector right);

    static abstract TVector Min(TVector left, TVector right);

    /// <summary>Rounds to the nearest integer, ties to even.</summary>
    static abstract TVector Round(TVector value);

    /// <summary>All-ones lanes where left &lt; right.</summary>
    static abstract TVector LessThan(TVector left, TVector right);

    /// <summary>All-ones lanes where left &gt; right.</summary>
    static abstract TVector GreaterThan(TVector left, TVector right);

    static abstract TVector ConditionalSelect(TVector mask, TVector whenTrue, TVector whenFalse);

    /// <summary>y·2ⁿ per lane, by adding n to the exponent field; n must be an integer with y·2ⁿ a normal float.</summary>
    static abstract TVector ScaleByPowerOfTwo(TVector y, TVector n);

    /// <summary>The sum of the lanes, in the width's fixed order.</summary>
    static abstract float Sum(TVector value);

    /// <summary>
    /// The largest |x| of <paramref name="count"/> values (a multiple of Count), NaN when any is NaN.
    /// Compared as the integer bit patterns of |x|, which order non-negative floats as their values and
    /// put every NaN above +∞: one integer max per vector, where a float max that must propagate NaN
    /// costs several instructions.
    /// </summary>
    static abstract float MaxMagnitude(float* values, int count);

    /// <summary>Rounds two vectors to int32 (ties to even) and stores them narrowed to 2·Count int16 values (they must fit).</summary>
    static abstract void StoreRoundedInt16(TVector low, TVector high, short* destination);

    /// <summary>Rounds a vector to int32 (ties to even), adds <paramref name="offset"/> and stores Count bytes (the results must be 0..255).</summary>
    /// <remarks>
    /// Both stores round with the CPU's own instructions (vcvtps2dq with embedded rounding, roundps +
    /// cvttps2dq, fcvtns), each with the mode fixed in the instruction rather than taken from MXCSR:
    /// the same integers as Round then an exact conversion for every value in range. What a NaN lane
    /// stores differs by path and does not matter: the quantizer gives its block a NaN scale, so
    /// the block's products are NaN whatever the stored value.
    /// </remarks>
    static abstract void StoreRoundedBytes(TVector value, int offset, byte* destination);
}
