using System.CommandLine;
using Sift.Engine;

namespace Sift.Cli.Commands;

/// <summary><c>sift embed</c>: JSON lines of texts in, one embedding per line out.</summary>
internal static class EmbedCommand
{
    /// <summary>Inputs embedded per pass: output starts flowing before stdin ends, and memory stays bounded.</summary>
    private const int ChunkSize = 256;

    public static Command Create(CliStreams streams)
    {
        var model = SiftCli.ModelOption();
        var instruction = new Option<string?>("--instruction")
        {
            Description = "Embed every input as a query with this task: \"Instruct: {task}\\nQuery:{input}\". Without it inputs are documents.",
        };
        var query = new Option<bool>("--query") { Description = $"Embed every input as a query with the default task (\"{Prompts.DefaultInstruction}\")." };
        var dimensions = SiftCli.PositiveIntOption("--dimensions", "Matryoshka size: keep the first N components (32..hidden size), then L2-normalize.");
        var maxLength = SiftCli.PositiveIntOption("--max-length", "Maximum tokens per input, <|endoftext|> included (default: the model's max_position_embeddings).");
        var noTruncate = new Option<bool>("--no-truncate") { Description = "Fail on inputs over --max-length instead of cutting them." };
        var quantize = SiftCli.QuantizeOption();
        var hub = ModelLocator.HubOption();
        var command = new Command("embed", "Embed texts read as JSON lines from stdin (a string, or an object with \"text\").")
        {
            model, instruction, query, dimensions, maxLength, noTruncate, quantize, hub,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var path = await ModelLocator.ResolveAsync(result.GetRequiredValue(model), result.GetValue(hub), streams, cancellationToken);
            using var embedder = Embedder.Load(new ModelOptions { Model = path, Quantize = SiftCli.Quantize(result.GetValue(quantize)) });
            var asQuery = result.GetValue(query) || result.GetValue(instruction) is not null;
            var task = result.GetValue(instruction);
            var options = new EmbedOptions
            {
                Dimensions = result.GetValue(dimensions),
                MaxLength = result.GetValue(maxLength),
                Truncate = !result.GetValue(noTruncate),
            };
            embedder.ValidateDimensions(options.Dimensions);
            var index = 0;
            foreach (var chunk in JsonLines.ReadTexts(streams.Input).Chunk(ChunkSize))
            {
                var inputs = chunk.Select(text => asQuery ? EmbeddingInput.Query(text, task) : EmbeddingInput.Document(text)).ToArray();
                var sequences = inputs.Select((input, i) => embedder.Tokenize(input, index + i, options)).ToArray();
                var pooled = embedder.ComputePooled(sequences);
                for (var i = 0; i < inputs.Length; i++, index++)
                {
                    var vector = Embedder.Finish(pooled[i], options.Dimensions, normalize: true);
                    JsonLines.Write(streams.Output, json =>
                    {
                        json.WriteStartObject();
                        json.WriteNumber("index", index);
                        json.WriteNumber("tokens", sequences[i].Length);
                        JsonLines.WriteNumbers(json, "embedding", vector);
                        json.WriteEndObject();
                    });
                }
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
