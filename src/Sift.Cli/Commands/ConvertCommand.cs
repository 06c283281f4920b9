using System.CommandLine;
using Sift.Checkpoints;
using Sift.Engine;

namespace Sift.Cli.Commands;

/// <summary><c>sift convert</c>: a Hugging Face safetensors checkpoint to GGUF (F16 or Q8_0), laid out as llama.cpp's converter does.</summary>
internal static class ConvertCommand
{
    public static Command Create(CliStreams streams)
    {
        var model = SiftCli.ModelOption();
        var output = new Option<string>("--output", "-o") { Description = "The .gguf file to write.", Required = true };
        var type = new Option<string>("--type") { Description = "Type of the 2-D weights.", DefaultValueFactory = _ => "f16" };
        type.AcceptOnlyFromAmong("f16", "q8_0", "f32");
        var kind = new Option<string>("--kind") { Description = "embedding or reranker (auto: reranker when the directory name contains \"rerank\").", DefaultValueFactory = _ => "auto" };
        kind.AcceptOnlyFromAmong("auto", "embedding", "reranker");
        var command = new Command("convert", "Convert a safetensors model directory to a GGUF file that Sift and llama.cpp load.") { model, output, type, kind };
        command.SetAction(result =>
        {
            var source = result.GetRequiredValue(model);
            if (!Directory.Exists(source))
            {
                throw new CliException($"{source}: model directory not found");
            }
            var target = result.GetRequiredValue(output);
            var tensorType = result.GetValue(type) switch { "q8_0" => TensorType.Q8_0, "f32" => TensorType.F32, _ => TensorType.F16 };
            var modelKind = result.GetValue(kind) switch
            {
                "embedding" => ModelKind.Embedding,
                "reranker" => ModelKind.Reranker,
                _ => GgufConverter.GuessKind(source),
            };
            GgufConverter.Convert(source, target, tensorType, modelKind);
            streams.Error.WriteLine($"sift: wrote {target} ({modelKind}, {tensorType}, {new FileInfo(target).Length / 1048576.0:F1} MiB)");
            return SiftCli.Success;
        });
        return command;
    }
}
