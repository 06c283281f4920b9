namespace Sift.Checkpoints.Gguf;

/// <summary>The value types of GGUF metadata, with the spec's numbering.</summary>
public enum GgufValueType : uint
{
    /// <summary>Unsigned 8-bit.</summary>
    UInt8 = 0,

    /// <summary>Signed 8-bit.</summary>
    Int8 = 1,

    /// <summary>Unsigned 16-bit.</summary>
    UInt16 = 2,

    /// <summary>Signed 16-bit.</summary>
    Int16 = 3,

    /// <summary>Unsigned 32-bit.</summary>
    UInt32 = 4,

    /// <summary>Signed 32-bit.</summary>
    Int32 = 5,

    /// <summary>IEEE binary32.</summary>
    Float32 = 6,

    /// <summary>One byte, 0 or 1.</summary>
    Bool = 7,

    /// <summary>u64 length, then UTF-8 bytes.</summary>
    String = 8,

    /// <summary>u32 element type, u64 count, then the elements.</summary>
    Array = 9,

    /// <summary>Unsigned 64-bit.</summary>
    UInt64 = 10,

    /// <summary>Signed 64-bit.</summary>
    Int64 = 11,

    /// <summary>IEEE binary64.</summary>
    Float64 = 12,
}
