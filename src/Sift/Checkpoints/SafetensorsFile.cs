using System.Buffers.Binary;
using System.Text.Json;

namespace Sift.Checkpoints;

/// <summary>
/// One memory-mapped .safetensors file: an 8-byte little-endian header length, a JSON header of
/// tensor entries, then the data. The header is validated in full before any tensor is handed out:
/// offsets inside the data, byte length equal to shape × dtype, no overlaps and no holes.
/// </summary>
internal sealed unsafe class SafetensorsFile : IDisposable
{
    /// <summary>The reference implementation refuses headers above 100 MB; so do we.</summary>
    private const long MaxHeaderBytes = 100_000_000;

    private readonly MappedFile _file;

    private SafetensorsFile(MappedFile file, Dictionary<string, CheckpointTensor> tensors)
    {
        _file = file;
        Tensors = tensors;
    }

    public IReadOnlyDictionary<string, CheckpointTensor> Tensors { get; }

    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path))
        {
            throw new CheckpointException($"{path}: file not found");
        }
        var file = new MappedFile(path);
        try
        {
            return new SafetensorsFile(file, ReadHeader(file));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public void Dispose() => _file.Dispose();

    private static Dictionary<string, CheckpointTensor> ReadHeader(MappedFile file)
    {
        var path = file.Path;
        if (file.Length < 8)
        {
            throw new CheckpointException($"{path}: truncated: {file.Length} bytes, shorter than the 8-byte header length");
        }
        var headerLength = BinaryPrimitives.ReadInt64LittleEndian(new ReadOnlySpan<byte>(file.Pointer, 8));
        if (headerLength <= 0 || headerLength > MaxHeaderBytes || headerLength > file.Length - 8)
        {
            throw new CheckpointException(
                $"{path}: corrupt or truncated: header length {headerLength} does not fit the file's {file.Length} bytes (limit {MaxHeaderBytes})");
        }
        var dataStart = 8 + headerLength;
        var dataLength = file.Length - dataStart;

        JsonDocument header;
        try
        {
            header = JsonDocument.Parse(new ReadOnlyMemory<byte>(new ReadOnlySpan<byte>(file.Pointer + 8, (int)headerLength).ToArray()));
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{path}: corrupt header: not valid JSON ({e.Message})");
        }

        using (header)
        {
            try
            {
                return ReadEntries(path, header, dataLength, dataStart, file);
            }
            catch (InvalidOperationException e)
            {
                // System.Text.Json's own errors past parsing: a name or string that is not valid UTF-8,
                // a value of the wrong kind where the checks above do not look.
                throw new CheckpointException($"{path}: corrupt header: {e.Message}");
            }
        }
    }

    private static Dictionary<string, CheckpointTensor> ReadEntries(string path, JsonDocument header, long dataLength, long dataStart, MappedFile file)
    {
        if (header.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new CheckpointException($"{path}: corrupt header: the JSON is not an object");
        }
        var entries = new List<(string Name, TensorType Type, long[] Shape, long Begin, long End)>();
        foreach (var property in header.RootElement.EnumerateObject())
        {
            if (property.Name == "__metadata__")
            {
                continue;
            }
            entries.Add(ReadEntry(path, property, dataLength));
        }

        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expectedBegin = 0;
        string? previous = null;
        foreach (var entry in entries)
        {
            if (entry.Begin < expectedBegin)
            {
                throw new CheckpointException($"{path}: corrupt header: tensor '{entry.Name}' [{entry.Begin}, {entry.End}) overlaps '{previous}'");
            }
            if (entry.Begin > expectedBegin)
            {
                throw new CheckpointException($"{path}: corrupt header: {entry.Begin - expectedBegin} bytes before tensor '{entry.Name}' belong to no tensor");
            }
            expectedBegin = entry.End;
            previous = entry.Name;
        }
        if (expectedBegin != dataLength)
        {
            throw new CheckpointException(
                $"{path}: corrupt or truncated: the tensors cover {expectedBegin} data bytes but the file holds {dataLength}");
        }

        var tensors = new Dictionary<string, CheckpointTensor>(entries.Count, StringComparer.Ordinal);
        foreach (var (name, type, shape, begin, end) in entries)
        {
            tensors[name] = new CheckpointTensor(name, type, shape, file.Pointer + dataStart + begin, end - begin, path, fileMapped: true);
        }
        return tensors;
    }

    private static (string, TensorType, long[], long, long) ReadEntry(string path, JsonProperty property, long dataLength)
    {
        var name = property.Name;
        var value = property.Value;
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String
            || !value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
            || !value.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array
            || offsetsElement.GetArrayLength() != 2)
        {
            throw new CheckpointException($"{path}: corrupt header: tensor '{name}' needs dtype, shape and two data_offsets");
        }
        var dtype = dtypeElement.GetString();
        var type = dtype switch
        {
            "F32" => TensorType.F32,
            "F16" => TensorType.F16,
            "BF16" => TensorType.BF16,
            "F64" => TensorType.F64,
            "I8" => TensorType.I8,
            "I16" => TensorType.I16,
            "I32" => TensorType.I32,
            "I64" => TensorType.I64,
            "U8" => TensorType.U8,
            "BOOL" => TensorType.Bool,
            _ => throw new CheckpointException($"{path}: tensor '{name}' has dtype '{dtype}', which Sift does not read (F32, F16, BF16, F64, integer types)"),
        };
        var shape = new long[shapeElement.GetArrayLength()];
        long elements = 1;
        var index = 0;
        foreach (var dimension in shapeElement.EnumerateArray())
        {
            if (!dimension.TryGetInt64(out var size) || size < 0)
            {
                throw new CheckpointException($"{path}: corrupt header: tensor '{name}' has a shape entry that is not a non-negative integer");
            }
            shape[index++] = size;
            elements = elements == 0 || size == 0 ? 0 : size > long.MaxValue / elements ? -1 : elements * size;
            if (elements < 0)
            {
                throw new CheckpointException($"{path}: corrupt header: tensor '{name}' has an absurd shape [{string.Join(", ", shape[..index])}...]");
            }
        }
        if (!offsetsElement[0].TryGetInt64(out var begin) || !offsetsElement[1].TryGetInt64(out var end)
            || begin < 0 || end < begin || end > dataLength)
        {
            throw new CheckpointException(
                $"{path}: corrupt or truncated: tensor '{name}' data_offsets [{offsetsElement[0]}, {offsetsElement[1]}] fall outside the {dataLength} data bytes");
        }
        var expectedBytes = type.ByteLength(elements);
        if (expectedBytes != end - begin)
        {
            throw new CheckpointException(
                $"{path}: corrupt header: tensor '{name}' is {dtype} [{string.Join(", ", shape)}] = {expectedBytes} bytes but its offsets span {end - begin}");
        }
        return (name, type, shape, begin, end);
    }
}
