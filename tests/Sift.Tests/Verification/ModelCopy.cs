using System.Text.Json.Nodes;
using Sift.Checkpoints;

namespace Sift.Tests.Verification;

/// <summary>
/// A fixture model copied to a temporary directory so a test can break one thing in it: the
/// tokenizer's template, a weight, or two rows of a tensor. Untouched weight files are linked.
/// </summary>
internal sealed class ModelCopy : IDisposable
{
    private ModelCopy(string directory) => Directory = directory;

    public string Directory { get; }

    public static ModelCopy Of(string fixture)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("sift-broken-model-").FullName;
        foreach (var file in System.IO.Directory.GetFiles(fixture))
        {
            var target = Path.Combine(directory, Path.GetFileName(file));
            if (file.EndsWith(".safetensors", StringComparison.Ordinal))
            {
                File.CreateSymbolicLink(target, file);
            }
            else
            {
                File.Copy(file, target);
            }
        }
        return new ModelCopy(directory);
    }

    /// <summary>Replaces tokenizer.json's post-processor (null removes it).</summary>
    public ModelCopy WithPostProcessor(JsonNode? postProcessor)
    {
        var path = Path.Combine(Directory, "tokenizer.json");
        var tokenizer = JsonNode.Parse(File.ReadAllText(path))!;
        tokenizer["post_processor"] = postProcessor;
        File.WriteAllText(path, tokenizer.ToJsonString());
        return this;
    }

    /// <summary>Rewrites the safetensors file holding <paramref name="tensorName"/> with that tensor's bf16 bytes changed.</summary>
    public ModelCopy WithTensorEdited(string tensorName, Action<CheckpointTensor, byte[]> edit)
    {
        foreach (var path in System.IO.Directory.GetFiles(Directory, "*.safetensors"))
        {
            List<TensorToWrite> tensors;
            using (var file = SafetensorsFile.Open(path))
            {
                if (!file.Tensors.TryGetValue(tensorName, out var target))
                {
                    continue;
                }
                tensors = file.Tensors.Values.Select(t =>
                {
                    var bytes = t.Bytes.ToArray();
                    if (ReferenceEquals(t, target))
                    {
                        edit(t, bytes);
                    }
                    return new TensorToWrite(t.Name, t.Type, t.Shape.ToArray(), bytes);
                }).ToList();
            }
            File.Delete(path);
            SafetensorsWriter.Write(path, tensors);
            return this;
        }
        throw new ArgumentException($"no tensor {tensorName} in {Directory}");
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
