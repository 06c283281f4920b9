using System.CommandLine;
using Sift.Checkpoints;
using Sift.Checkpoints.Gguf;
using Sift.Kernels;
using Sift.Qwen3;
using Sift.Tokenization;

namespace Sift.Cli.Commands;

/// <summary>
/// <c>sift info</c>: what a model directory holds, read from its headers without loading the weights,
/// and the kernel path this machine runs it on.
/// </summary>
internal static class InfoCommand
{
    public static Command Create(CliStreams streams)
    {
        var model = SiftCli.ModelOption();
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table." };
        var hub = ModelLocator.HubOption();
        var command = new Command("info", "Show a model's architecture, sizes, dtype, parameter count and memory.") { model, json, hub };
        command.SetAction(async (result, cancellationToken) =>
        {
            var directory = await ModelLocator.ResolveAsync(result.GetRequiredValue(model), result.GetValue(hub), streams, cancellationToken);
            var gguf = GgufFile.IsGgufFile(directory);
            if (!gguf && !Directory.Exists(directory))
            {
                throw new CliException($"{directory}: no model directory or .gguf file");
            }
            using ICheckpoint checkpoint = gguf ? GgufCheckpoint.Open(directory) : SafetensorsCheckpoint.Open(directory);
            var config = checkpoint is GgufCheckpoint file ? file.Config : Qwen3Config.Load(directory);
            var tokenizer = checkpoint is GgufCheckpoint withTokenizer ? withTokenizer.LoadTokenizer() : Tokenizer.Load(directory);
            var kind = checkpoint is GgufCheckpoint { IsReranker: true } ? "reranker" : gguf ? "embedding" : "decoder";
            var tensors = checkpoint.TensorNames.Select(name => checkpoint.TryGetTensor(name, out var t) ? t : null!).ToArray();
            var parameters = tensors.Sum(t => t.ElementCount);
            var bytes = tensors.Sum(t => t.ByteLength);
            var dtypes = string.Join(", ", tensors.GroupBy(t => t.Type).OrderByDescending(g => g.Sum(t => t.ByteLength)).Select(g => g.Key.ToString()));
            var tiedHead = !checkpoint.TensorNames.Any(n => n.EndsWith(Qwen3WeightNames.LanguageModelHead, StringComparison.Ordinal));
            var facts = new (string Key, object Value)[]
            {
                ("model", gguf ? Path.GetFileNameWithoutExtension(directory) : Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)))),
                ("format", gguf ? $"GGUF v{((GgufCheckpoint)checkpoint).File.Version}" : "safetensors"),
                ("architecture", $"{config.ModelType} ({kind})"),
                ("hidden_size", config.HiddenSize),
                ("layers", config.LayerCount),
                ("attention_heads", config.HeadCount),
                ("key_value_heads", config.KeyValueHeadCount),
                ("head_dim", config.HeadDim),
                ("intermediate_size", config.IntermediateSize),
                ("vocab_size", config.VocabSize),
                ("tokenizer_tokens", tokenizer.VocabularySize),
                ("max_position_embeddings", config.MaxPositionEmbeddings),
                ("tied_lm_head", tiedHead),
                ("dtype", dtypes),
                ("tensors", tensors.Length),
                ("parameters", parameters),
                ("weights_bytes", bytes),
                ("memory", $"{bytes / 1048576.0:F1} MiB of weights on disk, memory-mapped; layer weights are packed once at load "
                    + "(float types as stored, quantized types as int8)"),
                ("kernel_path", KernelPath.Current.Name),
                ("kernel_instruction_set", KernelPath.Current.InstructionSet),
                ("kernel_fp32", KernelPath.Current.Float32),
                ("kernel_int8", KernelPath.Current.Int8),
                ("kernel_int8_a16", KernelPath.Current.Int8A16),
            };
            if (result.GetValue(json))
            {
                JsonLines.Write(streams.Output, writer =>
                {
                    writer.WriteStartObject();
                    foreach (var (key, value) in facts)
                    {
                        switch (value)
                        {
                            case int i: writer.WriteNumber(key, i); break;
                            case long l: writer.WriteNumber(key, l); break;
                            case bool b: writer.WriteBoolean(key, b); break;
                            default: writer.WriteString(key, value.ToString()); break;
                        }
                    }
                    writer.WriteEndObject();
                });
            }
            else
            {
                foreach (var (key, value) in facts)
                {
                    streams.Output.WriteLine($"{key,-24} {(value is long or int ? $"{value:N0}" : value)}");
                }
            }
            return SiftCli.Success;
        });
        return command;
    }
}
