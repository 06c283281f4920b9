using System.Buffers.Binary;
using System.Text;

namespace Sift.Checkpoints.Gguf;

/// <summary>
/// Writes GGUF v3 files: metadata in insertion order, tensor infos, then tensor data aligned to
/// 32 bytes. Tensor data is produced lazily, tensor by tensor, so a large model never has to be
/// in memory twice. The file appears only when complete (temporary file, then rename).
/// </summary>
public sealed class GgufWriter
{
    private const uint Alignment = 32;

    private readonly List<(string Key, GgufValueType Type, object Value, GgufValueType ElementType)> _metadata = [];
    private readonly List<(string Name, TensorType Type, long[] Shape, Action<Stream> Write)> _tensors = [];

    /// <summary>Adds a string.</summary>
    public GgufWriter Add(string key, string value) => Add(key, GgufValueType.String, value);

    /// <summary>Adds an unsigned 32-bit integer.</summary>
    public GgufWriter Add(string key, uint value) => Add(key, GgufValueType.UInt32, value);

    /// <summary>Adds a float.</summary>
    public GgufWriter Add(string key, float value) => Add(key, GgufValueType.Float32, value);

    /// <summary>Adds a boolean.</summary>
    public GgufWriter Add(string key, bool value) => Add(key, GgufValueType.Bool, value);

    /// <summary>Adds an array of strings.</summary>
    public GgufWriter Add(string key, IReadOnlyList<string> values)
    {
        _metadata.Add((key, GgufValueType.Array, values, GgufValueType.String));
        return this;
    }

    /// <summary>Adds an array of 32-bit integers.</summary>
    public GgufWriter Add(string key, IReadOnlyList<int> values)
    {
        _metadata.Add((key, GgufValueType.Array, values, GgufValueType.Int32));
        return this;
    }

    /// <summary>Adds a tensor of the given type and PyTorch-order shape; <paramref name="write"/> writes exactly its bytes.</summary>
    public GgufWriter AddTensor(string name, TensorType type, long[] shape, Action<Stream> write)
    {
        _tensors.Add((name, type, shape, write));
        return this;
    }

    /// <summary>Writes the file.</summary>
    public void Write(string path)
    {
        var temporary = path + ".partial";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                WriteTo(stream);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    private GgufWriter Add(string key, GgufValueType type, object value)
    {
        _metadata.Add((key, type, value, GgufValueType.UInt8));
        return this;
    }

    private void WriteTo(Stream stream)
    {
        var header = new MemoryStream();
        header.Write("GGUF"u8);
        WriteUInt32(header, 3);
        WriteUInt64(header, (ulong)_tensors.Count);
        WriteUInt64(header, (ulong)_metadata.Count);
        foreach (var (key, type, value, elementType) in _metadata)
        {
            WriteString(header, key);
            WriteUInt32(header, (uint)type);
            WriteValue(header, type, value, elementType);
        }
        ulong offset = 0;
        var sizes = new List<long>();
        foreach (var (name, type, shape, _) in _tensors)
        {
            WriteString(header, name);
            WriteUInt32(header, (uint)shape.Length);
            foreach (var dimension in shape.Reverse())
            {
                WriteUInt64(header, (ulong)dimension);
            }
            WriteUInt32(header, GgmlType.IdOf(type));
            WriteUInt64(header, offset);
            var bytes = type.ByteLength(shape.Aggregate(1L, (a, b) => a * b))
                ?? throw new ArgumentException($"tensor '{name}': [{string.Join(", ", shape)}] is not whole {type} blocks");
            sizes.Add(bytes);
            offset += (ulong)Align(bytes);
        }
        Pad(header, header.Length);
        header.Position = 0;
        header.CopyTo(stream);
        for (var i = 0; i < _tensors.Count; i++)
        {
            var start = stream.Position;
            _tensors[i].Write(stream);
            var written = stream.Position - start;
            if (written != sizes[i])
            {
                throw new InvalidOperationException($"tensor '{_tensors[i].Name}' wrote {written} bytes; its type and shape need {sizes[i]}");
            }
            Pad(stream, written);
        }
    }

    private static long Align(long bytes) => (bytes + Alignment - 1) / Alignment * Alignment;

    private static void Pad(Stream stream, long written)
    {
        Span<byte> zeros = stackalloc byte[(int)Alignment];
        zeros.Clear();
        stream.Write(zeros[..(int)(Align(written) - written)]);
    }

    private static void WriteValue(Stream stream, GgufValueType type, object value, GgufValueType elementType)
    {
        switch (type)
        {
            case GgufValueType.String: WriteString(stream, (string)value); break;
            case GgufValueType.UInt32: WriteUInt32(stream, (uint)value); break;
            case GgufValueType.Bool: stream.WriteByte((bool)value ? (byte)1 : (byte)0); break;
            case GgufValueType.Float32:
                Span<byte> single = stackalloc byte[4];
                BinaryPrimitives.WriteSingleLittleEndian(single, (float)value);
                stream.Write(single);
                break;
            case GgufValueType.Array when elementType == GgufValueType.String:
                var strings = (IReadOnlyList<string>)value;
                WriteUInt32(stream, (uint)GgufValueType.String);
                WriteUInt64(stream, (ulong)strings.Count);
                foreach (var item in strings)
                {
                    WriteString(stream, item);
                }
                break;
            case GgufValueType.Array when elementType == GgufValueType.Int32:
                var ints = (IReadOnlyList<int>)value;
                WriteUInt32(stream, (uint)GgufValueType.Int32);
                WriteUInt64(stream, (ulong)ints.Count);
                Span<byte> four = stackalloc byte[4];
                foreach (var item in ints)
                {
                    BinaryPrimitives.WriteInt32LittleEndian(four, item);
                    stream.Write(four);
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "not a value type GgufWriter writes");
        }
    }

    private static void WriteString(Stream stream, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        WriteUInt64(stream, (ulong)bytes.Length);
        stream.Write(bytes);
    }

    private static void WriteUInt32(Stream stream, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        stream.Write(bytes);
    }

    private static void WriteUInt64(Stream stream, ulong value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        stream.Write(bytes);
    }
}
