using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Sift.Engine;
using Sift.Retrieval;
using Sift.Retrieval.Stores;

namespace Sift.Cli.Commands;

/// <summary><c>sift search</c>: two-stage search of a collection, one JSON line per result document, best first.</summary>
internal static class SearchCommand
{
    public static Command Create(CliStreams streams)
    {
        var data = RetrievalOptions.Data();
        var collection = RetrievalOptions.Collection();
        var model = SiftCli.ModelOption();
        var reranker = new Option<string?>("--reranker") { Description = "Reranker model (directory, .gguf or hub id); without it results are in vector order." };
        var query = new Option<string>("--query", "-q") { Description = "The query.", Required = true };
        var instruction = new Option<string?>("--instruction") { Description = $"The query embedding's task (default: \"{Prompts.DefaultInstruction}\")." };
        var rerankInstruction = new Option<string?>("--rerank-instruction") { Description = "The reranker's task (default: the same web-search task)." };
        var topK = SiftCli.PositiveIntOption("--top-k", $"Chunks the vector stage recalls (default {SearchRequest.DefaultTopK}, at most {SearchRequest.MaxTopK}).");
        var topN = SiftCli.PositiveIntOption("--top-n", $"Documents to print (default {SearchRequest.DefaultTopN}).");
        var rerankTop = SiftCli.PositiveIntOption("--rerank-top", "How many recalled chunks, best first, the reranker scores (default: all of them).");
        var hybrid = HybridOption();
        var filter = new Option<string[]>("--filter")
        {
            Description = "Metadata equality, KEY=VALUE (repeatable): true/false are booleans, numbers are numbers, \"quoted\" or other text is a string.",
            AllowMultipleArgumentsPerToken = false,
        };
        var quantize = SiftCli.QuantizeOption();
        var hub = ModelLocator.HubOption();
        var command = new Command("search", "Search a collection: embed the query, recall the nearest chunks, rerank, print the best documents as JSON lines.")
        {
            data, collection, model, reranker, query, instruction, rerankInstruction, topK, topN, rerankTop, hybrid, filter, quantize, hub,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var request = new SearchRequest
            {
                Query = result.GetRequiredValue(query),
                Instruction = result.GetValue(instruction),
                TopK = result.GetValue(topK) ?? SearchRequest.DefaultTopK,
                TopN = result.GetValue(topN) ?? SearchRequest.DefaultTopN,
                RerankTop = result.GetValue(rerankTop),
                Hybrid = result.GetValue(hybrid),
                RerankInstruction = result.GetValue(rerankInstruction),
                Filter = ParseFilter(result.GetValue(filter) ?? []),
            };
            request.Validate();
            using var models = await RetrievalModels.LoadAsync(result.GetRequiredValue(model), result.GetValue(reranker), result.GetValue(quantize),
                result.GetValue(hub), streams, cancellationToken);
            var log = new TextWriterLogger(streams.Error);
            await using var store = await RetrievalStores.OpenAsync(result.GetRequiredValue(data), null, log, cancellationToken);
            var pipeline = new SearchPipeline(store, models.TextEmbedder, models.PassageReranker, log);
            var response = await pipeline.SearchAsync(result.GetRequiredValue(collection), request, cancellationToken);
            foreach (var hit in response.Results)
            {
                JsonLines.Write(streams.Output, json =>
                {
                    json.WriteStartObject();
                    hit.WriteProperties(json);
                    json.WriteBoolean("reranked", response.Reranked);
                    json.WriteEndObject();
                });
            }
            await streams.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"sift: {response.Results.Count} results from {response.Recalled} chunks ({(response.Reranked ? "reranked" : response.Hybrid ? "fused order" : "vector order")}"
                + $"{(response.Hybrid ? ", hybrid" : "")}{(response.FallbackReason is { } reason and not FallbackReason.NoReranker ? $", not reranked: {reason}" : "")}); embed {response.Timings.Embed:F1} ms, vector {response.Timings.Vector:F1} ms, "
                + $"{(response.Hybrid ? $"lexical {response.Timings.Lexical:F1} ms, " : "")}rerank {response.Timings.Rerank:F1} ms"));
            return SiftCli.Success;
        });
        return command;
    }

    /// <summary>--hybrid [true|false]: whether recall fuses keyword matches; absent means the collection's default.</summary>
    internal static Option<bool?> HybridOption() => new("--hybrid")
    {
        Description = "Fuse keyword (lexical) recall with the vector stage by reciprocal rank fusion (k = 60); --hybrid false turns it off. "
            + "Default: the collection's setting.",
        Arity = ArgumentArity.ZeroOrOne,
    };

    /// <summary>KEY=VALUE pairs: true/false → boolean, a number → number, a JSON "string" or anything else → string.</summary>
    internal static IReadOnlyDictionary<string, MetadataValue> ParseFilter(IEnumerable<string> pairs)
    {
        var filter = new SortedDictionary<string, MetadataValue>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new CliException($"--filter \"{pair}\" must be KEY=VALUE");
            }
            var key = pair[..equals];
            var text = pair[(equals + 1)..];
            DocumentMetadata.CheckKey(key, "--filter");
            filter[key] = text switch
            {
                "true" => MetadataValue.Of(true),
                "false" => MetadataValue.Of(false),
                _ when text.Length >= 2 && text[0] == '"' && text[^1] == '"' => MetadataValue.Of(QuotedString(text, pair)),
                _ when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number) => DocumentMetadata.IsIntegerBeyondDoubles(text.Trim())
                    ? throw new CliException($"--filter \"{pair}\": {text} is an integer beyond ±2^53, which metadata numbers (doubles) cannot hold exactly; "
                        + $"to match a string write {key}='\"{text}\"'")
                    : MetadataValue.Of(number),
                _ => MetadataValue.Of(text),
            };
        }
        return filter;
    }

    private static string QuotedString(string text, string pair)
    {
        try
        {
            return JsonSerializer.Deserialize<string>(text)!;
        }
        catch (JsonException)
        {
            throw new CliException($"--filter \"{pair}\": {text} is not a valid JSON string");
        }
    }
}
