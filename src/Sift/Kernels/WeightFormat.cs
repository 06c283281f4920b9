namespace Sift.Kernels;

/// <summary>How a packed weight matrix stores its elements; a property of the weights, not of the caller.</summary>
public enum WeightFormat
{
    /// <summary>32-bit floats.</summary>
    F32,

    /// <summary>bfloat16, widened to fp32 inside the kernel.</summary>
    BF16,

    /// <summary>IEEE half, widened to fp32 inside the kernel.</summary>
    F16,

    /// <summary>
    /// Blocks of 32 int8 with one fp16 scale each (Q8_0), multiplied with activations quantized to
    /// 7 bits per 32-value block at run time (u8×s8 dot products: vpdpbusd, vpmaddubsw, SDOT): the fast int8 mode.
    /// </summary>
    Int8,

    /// <summary>
    /// The same Q8_0 weights multiplied with 15-bit activations (s16×s8, vpmaddwd): about half the
    /// int8 rounding error of <see cref="Int8"/>, at about half its speed.
    /// </summary>
    Int8A16,
}
