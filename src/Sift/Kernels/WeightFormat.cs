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
    /// Blocks of int8 with one fp16 scale each (Q8_0's rules; 128 values per block on rows of 1024 inputs
    /// or more, 32 on narrower ones: <see cref="Int8Layout"/>), multiplied with activations quantized to
    /// 7 bits per block at run time (u8×s8 dot products: vpdpbusd, vpmaddubsw, SDOT): the fast int8 mode.
    /// </summary>
    Int8,

    /// <summary>
    /// Q8_0 weights (blocks of 32, so GGUF Q8_0 passes through unchanged) multiplied with 15-bit
    /// activations (s16×s8, vpmaddwd): about half the int8 rounding error of <see cref="Int8"/>, at
    /// about half its speed.
    /// </summary>
    Int8A16,
}
