namespace Sift.Checkpoints;

/// <summary>The element type of a stored tensor.</summary>
public enum TensorType
{
    /// <summary>IEEE binary32.</summary>
    F32,

    /// <summary>IEEE binary16.</summary>
    F16,

    /// <summary>bfloat16: the top half of a binary32.</summary>
    BF16,

    /// <summary>IEEE binary64.</summary>
    F64,

    /// <summary>Signed integers.</summary>
    I8,

    /// <summary>Signed integers.</summary>
    I16,

    /// <summary>Signed integers.</summary>
    I32,

    /// <summary>Signed integers.</summary>
    I64,

    /// <summary>Unsigned bytes.</summary>
    U8,

    /// <summary>One byte per boolean.</summary>
    Bool,

    /// <summary>GGUF Q8_0: blocks of 32 weights, an fp16 scale then 32 int8.</summary>
    Q8_0,

    /// <summary>GGUF Q4_K super-blocks of 256 weights.</summary>
    Q4_K,

    /// <summary>GGUF Q5_K super-blocks of 256 weights.</summary>
    Q5_K,

    /// <summary>GGUF Q6_K super-blocks of 256 weights.</summary>
    Q6_K,
}
