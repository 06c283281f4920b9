using System.CommandLine;
using Sift.Engine;
using Sift.Abstractions;
using Sift.Engine.LongDocuments;

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
        var noTruncate = new Option<bool>("--no-truncate") { Description = "Fail on inputs over --max-length instead of cutting them (the same as --long-documents error)." };
        var longDocuments = LongDocumentFlags.ForCommand("truncate; queries are never windowed, they follow --no-truncate");
        var returnWindows = new Option<bool>("--return-windows") { Description = "With --long-documents chunk: print each window's span and embedding too." };
        var quantize = SiftCli.QuantizeOption();
        var hub = ModelLocator.HubOption();
        var command = new Command("embed", "Embed texts read as JSON lines from stdin (a string, or an object with \"text\").")
        {
            model, instruction, query, dimensions, maxLength, noTruncate, quantize, hub, returnWindows,
        };
        foreach (var option in longDocuments.All)
        {
            command.Options.Add(option);
        }
        command.SetAction(async (result, cancellationToken) =>
        {
            var path = await ModelLocator.ResolveAsync(result.GetRequiredValue(model), result.GetValue(hub), streams, cancellationToken);
            using var embedder = Embedder.Load(new ModelOptions { Model = path, Quantize = SiftCli.Quantize(result.GetValue(quantize)) });
            var asQuery = result.GetValue(query) || result.GetValue(instruction) is not null;
            var task = result.GetValue(instruction);
            var strategy = longDocuments.StrategyValue(result) ?? (result.GetValue(noTruncate) ? LongDocumentStrategy.Error : LongDocumentStrategy.Truncate);
            if (result.GetValue(returnWindows) && strategy != LongDocumentStrategy.Chunk)
            {
                throw new CliException("--return-windows needs --long-documents chunk");
            }
            var options = new EmbedOptions
            {
                Dimensions = result.GetValue(dimensions),
                MaxLength = result.GetValue(maxLength),
                Truncate = strategy == LongDocumentStrategy.Truncate || strategy == LongDocumentStrategy.Chunk && !result.GetValue(noTruncate),
                Windows = strategy == LongDocumentStrategy.Chunk ? longDocuments.Windows(result, result.GetValue(returnWindows)) : null,
            };
            embedder.ValidateDimensions(options.Dimensions);
            var index = 0;
            foreach (var chunk in JsonLines.ReadTexts(streams.Input).Chunk(ChunkSize))
            {
                var inputs = chunk.Select(text => asQuery ? EmbeddingInput.Query(text, task) : EmbeddingInput.Document(text)).ToArray();
                var batch = embedder.Prepare(inputs, Enumerable.Range(index, inputs.Length).ToArray(), options);
                var embeddings = batch.Finish(embedder.ComputePooled(batch.Sequences), options);
                foreach (var embedding in embeddings)
                {
                    var position = index++;
                    JsonLines.Write(streams.Output, json =>
                    {
                        json.WriteStartObject();
                        json.WriteNumber("index", position);
                        json.WriteNumber("tokens", embedding.TokenCount);
                        JsonLines.WriteNumbers(json, "embedding", embedding.Vector);
                        if (embedding.Windows is { } windows)
                        {
                            json.WriteStartArray("windows");
                            foreach (var window in windows)
                            {
                                json.WriteStartObject();
                                json.WriteNumber("start", window.Span.Start);
                                json.WriteNumber("end", window.Span.End);
                                JsonLines.WriteNumbers(json, "embedding", window.Vector);
                                json.WriteEndObject();
                            }
                            json.WriteEndArray();
                        }
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
