namespace Sift.Checkpoints.Gguf;

/// <summary>
/// One metadata value: a scalar (boxed as its .NET type), a string, or an array (string[], or a
/// typed array of the element's .NET type: byte[], int[], float[], bool[], ...).
/// </summary>
public sealed record GgufValue(GgufValueType Type, object Value, GgufValueType ElementType = GgufValueType.UInt8)
{
    /// <summary>The value as an integer, from any integer type.</summary>
    public long AsInt64() => Value switch
    {
        byte v => v,
        sbyte v => v,
        ushort v => v,
        short v => v,
        uint v => v,
        int v => v,
        ulong v => checked((long)v),
        long v => v,
        bool v => v ? 1 : 0,
        _ => throw new InvalidCastException($"a GGUF {Type} is not an integer"),
    };

    /// <summary>The value as a double, from any numeric type.</summary>
    public double AsDouble() => Value switch
    {
        float v => v,
        double v => v,
        _ => AsInt64(),
    };
}
