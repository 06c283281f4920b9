namespace Sift.Checkpoints;

/// <summary>Storage sizes of <see cref="TensorType"/>s: elements per block and bytes per block.</summary>
public static class TensorTypes
{
    /// <summary>How many elements one storage block holds (1 for plain types).</summary>
    public static int BlockElements(this TensorType type) => type switch
    {
        TensorType.Q8_0 => 32,
        TensorType.Q4_K or TensorType.Q5_K or TensorType.Q6_K => 256,
        _ => 1,
    };

    /// <summary>How many bytes one storage block takes.</summary>
    public static int BlockBytes(this TensorType type) => type switch
    {
        TensorType.F32 or TensorType.I32 => 4,
        TensorType.F16 or TensorType.BF16 or TensorType.I16 => 2,
        TensorType.F64 or TensorType.I64 => 8,
        TensorType.I8 or TensorType.U8 or TensorType.Bool => 1,
        TensorType.Q8_0 => 34,
        TensorType.Q4_K => 144,
        TensorType.Q5_K => 176,
        TensorType.Q6_K => 210,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>
    /// The byte length of <paramref name="elements"/> elements, or null when the count is not a whole
    /// number of blocks or the length overflows.
    /// </summary>
    public static long? ByteLength(this TensorType type, long elements)
    {
        var blockElements = type.BlockElements();
        if (elements < 0 || elements % blockElements != 0)
        {
            return null;
        }
        try
        {
            return checked(elements / blockElements * type.BlockBytes());
        }
        catch (OverflowException)
        {
            return null;
        }
    }
}
