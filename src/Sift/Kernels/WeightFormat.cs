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

    /// <summary>Blocks of 32 int8 with one fp16 scale each (Q8_0), multiplied with int8-quantised activations.</summary>
    Int8,
}
