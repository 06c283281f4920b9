using System.CommandLine;
using Sift.Tokenization;

namespace Sift.Cli.Commands;

/// <summary><c>sift tokenize</c>: texts in, token ids out, as tokenizer.json produces them (template applied).</summary>
internal static class TokenizeCommand
{
    public static Command Create(CliStreams streams)
    {
        var model = SiftCli.ModelOption();
        var hub = ModelLocator.HubOption();
        var command = new Command("tokenize", "Tokenize texts read as JSON lines from stdin, with the tokenizer's post-processor applied.") { model, hub };
        command.SetAction(async (result, cancellationToken) =>
        {
            var path = await ModelLocator.ResolveAsync(result.GetRequiredValue(model), result.GetValue(hub), streams, cancellationToken);
            Tokenizer tokenizer;
            if (Checkpoints.Gguf.GgufFile.IsGgufFile(path))
            {
                using var gguf = Checkpoints.Gguf.GgufCheckpoint.Open(path);
                tokenizer = gguf.LoadTokenizer();
            }
            else
            {
                tokenizer = Tokenizer.Load(path);
            }
            var index = 0;
            foreach (var text in JsonLines.ReadTexts(streams.Input))
            {
                var ids = tokenizer.Encode(text, addSpecialTokens: true);
                var current = index++;
                JsonLines.Write(streams.Output, json =>
                {
                    json.WriteStartObject();
                    json.WriteNumber("index", current);
                    JsonLines.WriteNumbers(json, "ids", ids);
                    json.WriteEndObject();
                });
            }
            if (index == 0)
            {
                throw new CliException("no inputs on stdin; give one JSON line per text");
            }
            return SiftCli.Success;
        });
        return command;
    }
}
