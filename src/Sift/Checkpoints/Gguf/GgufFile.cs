using System.Buffers.Binary;
using System.Text;

namespace Sift.Checkpoints.Gguf;

/// <summary>
/// A memory-mapped GGUF file (v2 or v3): metadata and tensor infos, validated before anything is
/// handed out. Every count, length and offset is checked against the bytes that remain, so a
/// malformed file is an error that names the fault, never a crash or a huge allocation.
/// </summary>
public sealed unsafe class GgufFile : IDisposable
{
    /// <summary>Tensor infos name at most this many dimensions (ggml's GGML_MAX_DIMS).</summary>
    private const int MaxDimensions = 4;

    /// <summary>The smallest a tensor info can be: empty name (8), dimension count (4), one dimension (8), type (4), offset (8).</summary>
    private const int MinTensorInfoBytes = 32;

    /// <summary>The smallest a metadata entry can be: empty key (8), type (4), one byte.</summary>
    private const int MinMetadataBytes = 13;

    private const uint DefaultAlignment = 32;

    private readonly MappedFile _file;

    private GgufFile(MappedFile file, uint version, Dictionary<string, GgufValue> metadata, Dictionary<string, CheckpointTensor> tensors)
    {
        _file = file;
        Version = version;
        Metadata = metadata;
        Tensors = tensors;
    }

    /// <summary>The format version (2 or 3).</summary>
    public uint Version { get; }

    /// <summary>The metadata, by key.</summary>
    public IReadOnlyDictionary<string, GgufValue> Metadata { get; }

    /// <summary>The tensors by their GGUF name, shapes in PyTorch order (ggml's ne reversed).</summary>
    public IReadOnlyDictionary<string, CheckpointTensor> Tensors { get; }

    /// <summary>The path of the file.</summary>
    public string Path => _file.Path;

    /// <summary>Whether a path names an existing .gguf file.</summary>
    public static bool IsGgufFile(string path) => path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) && File.Exists(path);

    /// <summary>Opens and validates a GGUF file.</summary>
    public static GgufFile Open(string path)
    {
        if (!File.Exists(path))
        {
            throw new CheckpointException($"{path}: file not found");
        }
        var file = new MappedFile(path);
        try
        {
            var reader = new Reader(file.Pointer, file.Length, path);
            var magic = reader.Bytes(4, "magic");
            if (!magic.SequenceEqual("GGUF"u8))
            {
                throw new CheckpointException($"{path}: not a GGUF file (wrong magic {Convert.ToHexString(magic)}; expected 47475546, \"GGUF\")");
            }
            var version = reader.UInt32("version");
            if (version is not (2 or 3))
            {
                throw new CheckpointException($"{path}: GGUF version {version} is not supported (2 and 3 are)");
            }
            var tensorCount = reader.UInt64("tensor count");
            var metadataCount = reader.UInt64("metadata count");
            if (metadataCount > (ulong)(reader.Remaining / MinMetadataBytes))
            {
                throw new CheckpointException($"{path}: corrupt or truncated header: {metadataCount} metadata entries cannot fit in {reader.Remaining} bytes");
            }
            var metadata = new Dictionary<string, GgufValue>(StringComparer.Ordinal);
            for (ulong i = 0; i < metadataCount; i++)
            {
                var key = reader.String("metadata key");
                var type = (GgufValueType)reader.UInt32($"type of '{key}'");
                metadata[key] = reader.Value(type, key);
            }
            if (tensorCount > (ulong)(reader.Remaining / MinTensorInfoBytes))
            {
                throw new CheckpointException($"{path}: corrupt or truncated header: {tensorCount} tensors cannot fit in {reader.Remaining} bytes");
            }
            var alignment = metadata.TryGetValue("general.alignment", out var alignmentValue) ? (uint)alignmentValue.AsInt64() : DefaultAlignment;
            if (alignment == 0 || (alignment & (alignment - 1)) != 0)
            {
                throw new CheckpointException($"{path}: general.alignment {alignment} is not a power of two");
            }
            var infos = new List<(string Name, long[] Shape, uint Type, ulong Offset)>();
            for (ulong i = 0; i < tensorCount; i++)
            {
                var name = reader.String("tensor name");
                var dimensions = reader.UInt32($"dimension count of '{name}'");
                if (dimensions is 0 or > MaxDimensions)
                {
                    throw new CheckpointException($"{path}: tensor '{name}' has {dimensions} dimensions; GGUF allows 1..{MaxDimensions}");
                }
                var ne = new long[dimensions];
                for (var d = 0; d < dimensions; d++)
                {
                    var size = reader.UInt64($"dimension {d} of '{name}'");
                    ne[d] = size <= int.MaxValue ? (long)size
                        : throw new CheckpointException($"{path}: tensor '{name}' has an absurd dimension {size}");
                }
                var type = reader.UInt32($"type of '{name}'");
                var offset = reader.UInt64($"offset of '{name}'");
                infos.Add((name, ne.Reverse().ToArray(), type, offset));
            }
            var dataStart = (reader.Position + alignment - 1) / alignment * alignment;
            if (dataStart > file.Length)
            {
                throw new CheckpointException($"{path}: truncated: the tensor data would start at byte {dataStart} of a {file.Length}-byte file");
            }
            var dataLength = file.Length - dataStart;
            var tensors = new Dictionary<string, CheckpointTensor>(StringComparer.Ordinal);
            foreach (var (name, shape, typeId, offset) in infos)
            {
                tensors[name] = MakeTensor(path, name, shape, typeId, offset, alignment, dataLength, file.Pointer + dataStart);
            }
            return new GgufFile(file, version, metadata, tensors);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>A metadata value, or null when the key is absent.</summary>
    public GgufValue? Get(string key) => Metadata.TryGetValue(key, out var value) ? value : null;

    /// <summary>A required metadata value; the error names the key and the file.</summary>
    public GgufValue Require(string key) =>
        Get(key) ?? throw new CheckpointException($"{Path}: metadata '{key}' is missing");

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();

    private static CheckpointTensor MakeTensor(string path, string name, long[] shape, uint typeId, ulong offset, uint alignment, long dataLength, byte* data)
    {
        var (type, typeName, blockElements, blockBytes) = GgmlType.Describe(typeId);
        if (blockElements == 0)
        {
            throw new CheckpointException($"{path}: tensor '{name}' has unknown ggml {typeName}");
        }
        if (type is null)
        {
            throw new CheckpointException($"{path}: tensor '{name}' is {typeName}, which Sift does not read (F32, F16, BF16, Q8_0, Q4_K, Q5_K, Q6_K)");
        }
        var innermost = shape[^1];
        if (innermost % blockElements != 0)
        {
            throw new CheckpointException($"{path}: tensor '{name}' has rows of {innermost} values, not a multiple of {typeName}'s {blockElements}-value blocks");
        }
        long elements = 1;
        foreach (var dimension in shape)
        {
            elements = dimension == 0 ? 0 : elements > long.MaxValue / Math.Max(dimension, 1) ? -1 : elements * dimension;
            if (elements < 0)
            {
                throw new CheckpointException($"{path}: tensor '{name}' has an absurd shape [{string.Join(", ", shape)}]");
            }
        }
        // The same checked size rule as safetensors: an overflowing shape must not wrap to a small or negative length.
        var bytes = type.Value.ByteLength(elements)
            ?? throw new CheckpointException($"{path}: tensor '{name}' has an absurd shape [{string.Join(", ", shape)}] ({elements} {typeName} values overflow a byte length)");
        if (offset % alignment != 0)
        {
            throw new CheckpointException($"{path}: tensor '{name}' offset {offset} is not aligned to {alignment}");
        }
        if (offset > (ulong)dataLength || bytes > dataLength - (long)offset)
        {
            throw new CheckpointException(
                $"{path}: corrupt or truncated: tensor '{name}' ({typeName} [{string.Join(", ", shape)}], {bytes} bytes at offset {offset}) lies outside the {dataLength} data bytes");
        }
        return new CheckpointTensor(name, type.Value, shape, data + offset, bytes, path, fileMapped: true);
    }

    /// <summary>A bounds-checked little-endian cursor over the mapped file.</summary>
    private sealed class Reader(byte* data, long length, string path)
    {
        public long Position { get; private set; }

        public long Remaining => length - Position;

        public ReadOnlySpan<byte> Bytes(long count, string what)
        {
            if (count < 0 || count > Remaining || count > int.MaxValue)
            {
                throw new CheckpointException($"{path}: truncated or corrupt: {what} needs {count} bytes at byte {Position}, but {Remaining} remain");
            }
            var span = new ReadOnlySpan<byte>(data + Position, (int)count);
            Position += count;
            return span;
        }

        public uint UInt32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4, what));

        public ulong UInt64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Bytes(8, what));

        public string String(string what)
        {
            var length = UInt64($"length of {what}");
            if (length > (ulong)Remaining)
            {
                throw new CheckpointException($"{path}: corrupt: {what} claims {length} bytes at byte {Position}, but {Remaining} remain");
            }
            return Encoding.UTF8.GetString(Bytes((long)length, what));
        }

        public GgufValue Value(GgufValueType type, string key)
        {
            switch (type)
            {
                case GgufValueType.Array:
                    var elementType = (GgufValueType)UInt32($"element type of '{key}'");
                    var count = UInt64($"length of '{key}'");
                    var minimum = elementType == GgufValueType.String ? 8 : ScalarSize(elementType, key);
                    if (count > (ulong)(Remaining / minimum))
                    {
                        throw new CheckpointException($"{path}: corrupt: array '{key}' claims {count} elements, but only {Remaining} bytes remain");
                    }
                    return new GgufValue(GgufValueType.Array, Array(elementType, (int)count, key), elementType);
                case GgufValueType.String:
                    return new GgufValue(type, String($"'{key}'"));
                default:
                    return new GgufValue(type, Scalar(type, key));
            }
        }

        private object Array(GgufValueType elementType, int count, string key)
        {
            switch (elementType)
            {
                case GgufValueType.String:
                    var strings = new string[count];
                    for (var i = 0; i < count; i++)
                    {
                        strings[i] = String($"'{key}'[{i}]");
                    }
                    return strings;
                case GgufValueType.Array:
                    throw new CheckpointException($"{path}: array '{key}' nests arrays, which Sift does not read");
                case GgufValueType.Bool:
                    return Typed<byte>(count, key).Select(b => b != 0).ToArray();
                default:
                    // One typed array per value type (never an object per element: a large array
                    // of boxed values cost 30 bytes per byte of file).
                    return elementType switch
                    {
                        GgufValueType.UInt8 => Typed<byte>(count, key),
                        GgufValueType.Int8 => Typed<sbyte>(count, key),
                        GgufValueType.UInt16 => Typed<ushort>(count, key),
                        GgufValueType.Int16 => Typed<short>(count, key),
                        GgufValueType.UInt32 => Typed<uint>(count, key),
                        GgufValueType.Int32 => Typed<int>(count, key),
                        GgufValueType.Float32 => Typed<float>(count, key),
                        GgufValueType.UInt64 => Typed<ulong>(count, key),
                        GgufValueType.Int64 => Typed<long>(count, key),
                        GgufValueType.Float64 => Typed<double>(count, key),
                        _ => throw new CheckpointException($"{path}: array '{key}' has unknown element type {(uint)elementType}"),
                    };
            }
        }

        /// <summary>A little-endian array of a fixed-size type, copied out of the file in one step.</summary>
        private T[] Typed<T>(int count, string key) where T : unmanaged
        {
            var values = new T[count];
            System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(Bytes((long)sizeof(T) * count, $"'{key}'")).CopyTo(values);
            return values;
        }

        private object Scalar(GgufValueType type, string key) => type switch
        {
            GgufValueType.UInt8 => Bytes(1, key)[0],
            GgufValueType.Int8 => (sbyte)Bytes(1, key)[0],
            GgufValueType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2, key)),
            GgufValueType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(Bytes(2, key)),
            GgufValueType.UInt32 => UInt32(key),
            GgufValueType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(Bytes(4, key)),
            GgufValueType.Float32 => BinaryPrimitives.ReadSingleLittleEndian(Bytes(4, key)),
            GgufValueType.Bool => Bytes(1, key)[0] != 0,
            GgufValueType.UInt64 => UInt64(key),
            GgufValueType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(Bytes(8, key)),
            GgufValueType.Float64 => BinaryPrimitives.ReadDoubleLittleEndian(Bytes(8, key)),
            _ => throw new CheckpointException($"{path}: metadata '{key}' has unknown value type {(uint)type}"),
        };

        private long ScalarSize(GgufValueType type, string key) => type switch
        {
            GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
            GgufValueType.UInt16 or GgufValueType.Int16 => 2,
            GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
            GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
            GgufValueType.Array => 12,
            _ => throw new CheckpointException($"{path}: array '{key}' has unknown element type {(uint)type}"),
        };
    }
}
