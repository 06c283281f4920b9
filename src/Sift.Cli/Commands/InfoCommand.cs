using System.CommandLine;
using Sift.Checkpoints;
using Sift.Checkpoints.Gguf;
using Sift.Hub;
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
        var quantize = SiftCli.QuantizeOption();
        var maxMemory = new Option<string?>("--max-memory")
        {
            Description = "Also show what `sift serve --max-memory` would size from this budget (a size such as 4GB, or a fraction such as 0.8).",
        };
        var command = new Command("info", "Show a model's architecture, sizes, dtype, parameters, memory, threads, revision and file hashes.")
        {
            model, json, hub, quantize, maxMemory,
        };
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
            var format = SiftCli.Quantize(result.GetValue(quantize));
            var resident = WeightMemory.Estimate(config, checkpoint, format);
            var provenance = ModelProvenance.Read(directory);
            var facts = new (string Key, object? Value)[]
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
                ("kernel_emitted_int8_tile", KernelPath.Current.EmittedInt8Tile),
                ("dtype_in_memory", resident.Format.ToString().ToLowerInvariant()),
                ("weights_resident_bytes", resident.ResidentBytes),
                ("threads", WorkerPool.Shared.ThreadCount),
                ("revision", provenance.Revision),
                ("files", provenance.Files),
            };
            if (result.GetValue(maxMemory) is { } memory)
            {
                var options = new Server.Hosting.ServerOptions { Model = directory, Quantize = format };
                var plan = Server.Hosting.MemoryPlan.Create(ServeCommand.ParseMemory(memory), Server.Hosting.ModelRegistry.Footprints(options), options,
                    WorkerPool.Shared.ThreadCount);
                facts = [.. facts, ("memory_budget", plan.Budget), ("max_batch_tokens", plan.MaxBatchTokens),
                    ("max_input_length", plan.EmbeddingMaxLength ?? plan.RerankerMaxLength ?? 0), ("max_concurrent_requests", plan.MaxConcurrentRequests)];
            }
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
                            case null: writer.WriteNull(key); break;
                            case IReadOnlyList<WeightFileDigest> files: Server.Routes.WeightFilesJson.Write(writer, key, files); break;
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
                    if (value is IReadOnlyList<WeightFileDigest> files)
                    {
                        foreach (var digest in files)
                        {
                            streams.Output.WriteLine($"{"sha256",-24} {digest.Sha256}  {digest.Name}");
                        }
                        continue;
                    }
                    streams.Output.WriteLine($"{key,-24} {(value is long or int ? $"{value:N0}" : value ?? "none")}");
                }
            }
            return SiftCli.Success;
        });
        return command;
    }
}
