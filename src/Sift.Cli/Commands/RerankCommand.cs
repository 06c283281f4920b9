using System.CommandLine;
using Sift.Engine;
using Sift.Abstractions;
using Sift.Engine.LongDocuments;

namespace Sift.Cli.Commands;

/// <summary><c>sift rerank</c>: documents as JSON lines in, scores sorted highest first out.</summary>
internal static class RerankCommand
{
    public static Command Create(CliStreams streams)
    {
        var model = SiftCli.ModelOption();
        var query = new Option<string>("--query", "-q") { Description = "The query to score documents against.", Required = true };
        var instruction = new Option<string?>("--instruction") { Description = $"The task (default: \"{Prompts.DefaultInstruction}\")." };
        var maxLength = SiftCli.PositiveIntOption("--max-length", $"Maximum tokens per query–document prompt, template included (default {Reranker.DefaultMaxLength}).");
        var topN = SiftCli.PositiveIntOption("--top-n", "Print only the N best documents.");
        var longDocuments = LongDocumentFlags.ForCommand("truncate");
        var returnWindows = new Option<bool>("--return-windows") { Description = "With --long-documents chunk: print which window gave each score, its span and the document's window count." };
        var quantize = SiftCli.QuantizeOption();
        var hub = ModelLocator.HubOption();
        var command = new Command("rerank", "Score documents read as JSON lines from stdin (a string, or an object with \"text\") against a query.")
        {
            model, query, instruction, maxLength, topN, quantize, hub, returnWindows,
        };
        foreach (var option in longDocuments.All)
        {
            command.Options.Add(option);
        }
        command.SetAction(async (result, cancellationToken) =>
        {
            var strategy = longDocuments.StrategyValue(result) ?? LongDocumentStrategy.Truncate;
            var windows = strategy == LongDocumentStrategy.Chunk ? longDocuments.Windows(result, result.GetValue(returnWindows)) : null;
            if (result.GetValue(returnWindows) && windows is null)
            {
                throw new CliException("--return-windows needs --long-documents chunk");
            }
            var documents = JsonLines.ReadTexts(streams.Input).ToArray();
            if (documents.Length == 0)
            {
                throw new CliException("no documents on stdin; give one JSON line per document");
            }
            var path = await ModelLocator.ResolveAsync(result.GetRequiredValue(model), result.GetValue(hub), streams, cancellationToken);
            using var reranker = Reranker.Load(new ModelOptions
            {
                Model = path,
                MaxLength = result.GetValue(maxLength),
                Quantize = SiftCli.Quantize(result.GetValue(quantize)),
            });
            var scores = reranker.Score(result.GetRequiredValue(query), documents, new RerankOptions
            {
                Instruction = result.GetValue(instruction),
                Truncate = strategy == LongDocumentStrategy.Truncate,
                Windows = windows,
            });
            foreach (var score in Reranker.Rank(scores).Take(result.GetValue(topN) ?? int.MaxValue))
            {
                JsonLines.Write(streams.Output, json =>
                {
                    json.WriteStartObject();
                    json.WriteNumber("index", score.Index);
                    json.WriteNumber("score", score.Score);
                    if (windows is { ReturnWindows: true } && score.Window is { } window)
                    {
                        json.WriteNumber("window", window.Index);
                        json.WriteNumber("start", window.Start);
                        json.WriteNumber("end", window.End);
                        json.WriteNumber("windows", window.Count);
                    }
                    json.WriteEndObject();
                });
            }
            return SiftCli.Success;
        });
        return command;
    }
}
