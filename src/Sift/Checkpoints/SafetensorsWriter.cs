using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Sift.Checkpoints;

/// <summary>A tensor to write: its name, element type, shape and raw little-endian bytes.</summary>
/// <param name="Name">The tensor name.</param>
/// <param name="Type">The element type.</param>
/// <param name="Shape">The shape, outermost first.</param>
/// <param name="Data">Raw bytes, exactly shape × element size.</param>
public sealed record TensorToWrite(string Name, TensorType Type, long[] Shape, ReadOnlyMemory<byte> Data);

/// <summary>Writes .safetensors files (used for test and benchmark checkpoints).</summary>
public static class SafetensorsWriter
{
    /// <summary>Writes the tensors to <paramref name="path"/> in name order, with optional string metadata.</summary>
    public static void Write(string path, IEnumerable<TensorToWrite> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var ordered = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToArray();
        using var headerStream = new MemoryStream();
        using (var json = new Utf8JsonWriter(headerStream))
        {
            json.WriteStartObject();
            if (metadata is not null)
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata)
                {
                    json.WriteString(key, value);
                }
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var tensor in ordered)
            {
                var elements = tensor.Shape.Aggregate(1L, (a, b) => a * b);
                if (tensor.Type.ByteLength(elements) != tensor.Data.Length)
                {
                    throw new ArgumentException($"tensor '{tensor.Name}' has {tensor.Data.Length} bytes; {tensor.Type} [{string.Join(", ", tensor.Shape)}] needs {tensor.Type.ByteLength(elements)}");
                }
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", DtypeName(tensor.Type));
                json.WriteStartArray("shape");
                foreach (var dimension in tensor.Shape)
                {
                    json.WriteNumberValue(dimension);
                }
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + tensor.Data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += tensor.Data.Length;
            }
            json.WriteEndObject();
        }
        // Pad the header with spaces to 8 bytes, as the reference writer does, so data stays aligned.
        var header = headerStream.ToArray();
        var padded = (header.Length + 7) / 8 * 8;
        using var file = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(length, padded);
        file.Write(length);
        file.Write(header);
        file.Write(Encoding.ASCII.GetBytes(new string(' ', padded - header.Length)));
        foreach (var tensor in ordered)
        {
            file.Write(tensor.Data.Span);
        }
    }

    private static string DtypeName(TensorType type) => type switch
    {
        TensorType.F32 => "F32",
        TensorType.F16 => "F16",
        TensorType.BF16 => "BF16",
        TensorType.F64 => "F64",
        TensorType.I8 => "I8",
        TensorType.I16 => "I16",
        TensorType.I32 => "I32",
        TensorType.I64 => "I64",
        TensorType.U8 => "U8",
        TensorType.Bool => "BOOL",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "safetensors has no such dtype"),
    };
}
