using System.CommandLine;
using Sift.Engine;
using Sift.Evaluation;
using Sift.Retrieval;
using Sift.Retrieval.Stores;
using Sift.Training;

namespace Sift.Cli.Commands;

/// <summary>
/// <c>sift export-training</c>: judged queries against an indexed collection, hard negatives mined
/// with the two-stage search, written as ms-swift InfoNCE JSON lines on stdout.
/// </summary>
internal static class ExportTrainingCommand
{
    /// <summary>Hard negatives per example unless asked otherwise: a common choice of embedding fine-tuning recipes.</summary>
    private const int DefaultNegatives = 7;

    /// <summary>Candidates the vector stage recalls for mining unless asked otherwise.</summary>
    private const int DefaultTopK = 50;

    public static Command Create(CliStreams streams)
    {
        var data = RetrievalOptions.Data();
        var collection = RetrievalOptions.Collection();
        var model = SiftCli.ModelOption();
        var reranker = new Option<string>("--reranker") { Description = "The reranker that judges candidates (directory, .gguf or hub id).", Required = true };
        var queries = new Option<string>("--queries") { Description = "Queries as JSON lines {\"_id\", \"text\"} (BEIR queries.jsonl).", Required = true };
        var qrels = new Option<string>("--qrels") { Description = "Judgments: query-id, corpus-id, score, tab-separated (BEIR qrels).", Required = true };
        var negatives = new Option<int>("--negatives") { Description = $"Hard negatives per example, at most (default {DefaultNegatives}).", DefaultValueFactory = _ => DefaultNegatives };
        negatives.Validators.Add(r =>
        {
            if (SiftCli.GivenInt(r, "--negatives", "an integer") is (< 0 or > SearchRequest.MaxTopK) and var value)
            {
                r.AddError($"--negatives must be between 0 and {SearchRequest.MaxTopK}, got {value}");
            }
        });
        var topK = SiftCli.PositiveIntOption("--top-k", $"Candidates the vector stage recalls and the reranker scores (default {DefaultTopK}).");
        var instruction = new Option<string?>("--instruction") { Description = $"The query task written into each query (default: \"{Prompts.DefaultInstruction}\")." };
        var quantize = SiftCli.QuantizeOption();
        var hub = ModelLocator.HubOption();
        var command = new Command("export-training", "Write ms-swift embedding training lines (query, response, rejected_response) with hard negatives mined by the two-stage search.")
        {
            data, collection, model, reranker, queries, qrels, negatives, topK, instruction, quantize, hub,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var queryTexts = BeirDataset.ReadQueries(result.GetRequiredValue(queries));
            var judgments = BeirDataset.ReadJudgments(result.GetRequiredValue(qrels), queryTexts);
            var depth = result.GetValue(topK) ?? DefaultTopK;
            if (depth > SearchRequest.MaxTopK)
            {
                throw new CliException($"--top-k {depth} is above the search limit of {SearchRequest.MaxTopK}");
            }
            using var models = await RetrievalModels.LoadAsync(result.GetRequiredValue(model), result.GetRequiredValue(reranker), result.GetValue(quantize),
                result.GetValue(hub), streams, cancellationToken);
            await using var store = await RetrievalStores.OpenAsync(result.GetRequiredValue(data), null, new TextWriterLogger(streams.Error), cancellationToken);
            var exporter = new HardNegativeExporter(store, models.TextEmbedder, models.PassageReranker!);
            var report = await exporter.ExportAsync(result.GetRequiredValue(collection), queryTexts, judgments.Grades, judgments.QueryIds,
                result.GetValue(negatives), depth, result.GetValue(instruction), new SwiftEmbeddingWriter(streams.Output), cancellationToken);
            await streams.Error.WriteLineAsync($"sift: wrote {report.Examples} examples with {report.Negatives} hard negatives"
                + (report.QueriesWithoutPositive > 0 ? $"; {report.QueriesWithoutPositive} queries have no relevant document" : "")
                + (report.MissingPositives > 0 ? $"; {report.MissingPositives} relevant documents are not in the collection" : ""));
            return report.Examples > 0 ? SiftCli.Success : throw new CliException("no training examples: no judged query has a relevant document in the collection");
        });
        return command;
    }
}
