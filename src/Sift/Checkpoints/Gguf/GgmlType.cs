namespace Sift.Checkpoints.Gguf;

/// <summary>ggml's tensor type ids, and which <see cref="TensorType"/> each is to Sift.</summary>
internal static class GgmlType
{
    /// <summary>Maps a ggml type id; the name is returned too, for messages about unsupported ones.</summary>
    public static (TensorType? Type, string Name, int BlockElements, int BlockBytes) Describe(uint id) => id switch
    {
        0 => (TensorType.F32, "F32", 1, 4),
        1 => (TensorType.F16, "F16", 1, 2),
        2 => (null, "Q4_0", 32, 18),
        3 => (null, "Q4_1", 32, 20),
        6 => (null, "Q5_0", 32, 22),
        7 => (null, "Q5_1", 32, 24),
        8 => (TensorType.Q8_0, "Q8_0", 32, 34),
        9 => (null, "Q8_1", 32, 36),
        10 => (null, "Q2_K", 256, 84),
        11 => (null, "Q3_K", 256, 110),
        12 => (TensorType.Q4_K, "Q4_K", 256, 144),
        13 => (TensorType.Q5_K, "Q5_K", 256, 176),
        14 => (TensorType.Q6_K, "Q6_K", 256, 210),
        15 => (null, "Q8_K", 256, 292),
        24 => (TensorType.I8, "I8", 1, 1),
        25 => (TensorType.I16, "I16", 1, 2),
        26 => (TensorType.I32, "I32", 1, 4),
        27 => (TensorType.I64, "I64", 1, 8),
        28 => (TensorType.F64, "F64", 1, 8),
        30 => (TensorType.BF16, "BF16", 1, 2),
        _ => (null, $"type {id}", 0, 0),
    };

    /// <summary>The ggml type id of a tensor type Sift writes.</summary>
    public static uint IdOf(TensorType type) => type switch
    {
        TensorType.F32 => 0,
        TensorType.F16 => 1,
        TensorType.Q8_0 => 8,
        TensorType.Q4_K => 12,
        TensorType.Q5_K => 13,
        TensorType.Q6_K => 14,
        TensorType.BF16 => 30,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a GGUF tensor type Sift writes"),
    };
}
