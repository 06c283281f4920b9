using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Sift.Checkpoints;

/// <summary>
/// The safetensors weights of a Hugging Face model directory: one model.safetensors, or shards
/// listed by model.safetensors.index.json. Every shard is memory-mapped and validated at open.
/// </summary>
public sealed class SafetensorsCheckpoint : ICheckpoint
{
    /// <summary>The single-file weights name.</summary>
    public const string SingleFileName = "model.safetensors";

    /// <summary>The shard index name.</summary>
    public const string IndexFileName = "model.safetensors.index.json";

    private readonly List<SafetensorsFile> _files;
    private readonly Dictionary<string, CheckpointTensor> _tensors;

    private SafetensorsCheckpoint(List<SafetensorsFile> files, Dictionary<string, CheckpointTensor> tensors)
    {
        _files = files;
        _tensors = tensors;
    }

    /// <inheritdoc />
    public IReadOnlyCollection<string> TensorNames => _tensors.Keys;

    /// <summary>Whether a directory holds safetensors weights.</summary>
    public static bool ExistsIn(string directory) =>
        File.Exists(Path.Combine(directory, IndexFileName)) || File.Exists(Path.Combine(directory, SingleFileName))
        || Directory.Exists(directory) && Directory.EnumerateFiles(directory, "*.safetensors").Any();

    /// <summary>Opens the weights in a model directory, or one .safetensors file.</summary>
    public static SafetensorsCheckpoint Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var files = new List<SafetensorsFile>();
        try
        {
            var (paths, weightMap) = ResolveFiles(path);
            foreach (var file in paths)
            {
                files.Add(SafetensorsFile.Open(file));
            }
            var tensors = new Dictionary<string, CheckpointTensor>(StringComparer.Ordinal);
            foreach (var file in files)
            {
                foreach (var (name, tensor) in file.Tensors)
                {
                    if (!tensors.TryAdd(name, tensor))
                    {
                        throw new CheckpointException($"tensor '{name}' appears in both {tensors[name].File} and {tensor.File}");
                    }
                }
            }
            foreach (var (name, shard) in weightMap)
            {
                if (!tensors.TryGetValue(name, out var tensor) || Path.GetFileName(tensor.File) != shard)
                {
                    throw new CheckpointException($"{path}: the index puts tensor '{name}' in {shard}, but that shard does not hold it");
                }
            }
            return new SafetensorsCheckpoint(files, tensors);
        }
        catch
        {
            files.ForEach(f => f.Dispose());
            throw;
        }
    }

    /// <inheritdoc />
    public bool TryGetTensor(string name, [NotNullWhen(true)] out CheckpointTensor? tensor) => _tensors.TryGetValue(name, out tensor);

    /// <inheritdoc />
    public void Dispose() => _files.ForEach(f => f.Dispose());

    private static (IEnumerable<string> Files, Dictionary<string, string> WeightMap) ResolveFiles(string path)
    {
        if (File.Exists(path))
        {
            return ([path], []);
        }
        if (!Directory.Exists(path))
        {
            throw new CheckpointException($"{path}: no such model directory or file");
        }
        var index = Path.Combine(path, IndexFileName);
        if (File.Exists(index))
        {
            var weightMap = ReadIndex(index);
            return (weightMap.Values.Distinct().Order(StringComparer.Ordinal).Select(shard => Path.Combine(path, shard)), weightMap);
        }
        var single = Path.Combine(path, SingleFileName);
        if (File.Exists(single))
        {
            return ([single], []);
        }
        var any = Directory.GetFiles(path, "*.safetensors").Order(StringComparer.Ordinal).ToArray();
        return any.Length > 0
            ? (any, [])
            : throw new CheckpointException($"{path}: no {SingleFileName}, {IndexFileName} or other .safetensors file");
    }

    private static Dictionary<string, string> ReadIndex(string index)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(index));
            if (!document.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
            {
                throw new CheckpointException($"{index}: no 'weight_map' object");
            }
            var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in map.EnumerateObject())
            {
                var shard = entry.Value.GetString();
                if (string.IsNullOrEmpty(shard) || shard.Contains('/') || shard.Contains('\\') || shard.Contains(".."))
                {
                    throw new CheckpointException($"{index}: tensor '{entry.Name}' maps to an invalid shard name '{shard}'");
                }
                weightMap[entry.Name] = shard;
            }
            return weightMap;
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{index}: not valid JSON ({e.Message})");
        }
    }
}
