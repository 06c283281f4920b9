using System.CommandLine;
using System.Diagnostics;
using Sift.Engine;
using Sift.Evaluation;
using Sift.Retrieval;
using Sift.Retrieval.Stores;

namespace Sift.Cli.Commands;

/// <summary>
/// <c>sift eval</c>: a BEIR-format dataset indexed into a collection and searched in every mode
/// (dense, hybrid, and with a reranker dense+rerank and hybrid+rerank); nDCG@10, MRR@10,
/// Recall@100 and latency as a table, or JSON.
/// </summary>
internal static class EvalCommand
{
    public static Command Create(CliStreams streams)
    {
        var beir = new Option<string>("--beir") { Description = "A BEIR-format folder: corpus.jsonl, queries.jsonl, qrels/<split>.tsv.", Required = true };
        var split = new Option<string>("--split") { Description = "Which qrels file: qrels/<split>.tsv.", DefaultValueFactory = _ => "test" };
        var data = RetrievalOptions.Data();
        var collection = new Option<string?>("--collection", "-c") { Description = "The collection to index into and search (default: the folder's name; reused when present)." };
        var model = SiftCli.ModelOption();
        var reranker = new Option<string?>("--reranker") { Description = "A reranker: adds the dense+rerank and hybrid+rerank modes." };
        var topK = SiftCli.PositiveIntOption("--top-k", $"Chunks each recall stage returns, and documents ranked (default {MetricSummary.RecallCutoff}, for Recall@100).");
        var rerankTop = SiftCli.PositiveIntOption("--rerank-top", "How many candidates the reranker scores (default: all of top-k).");
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table." };
        var quantize = SiftCli.QuantizeOption();
        var hub = ModelLocator.HubOption();
        var command = new Command("eval", "Measure retrieval quality on a BEIR-format dataset: nDCG@10, MRR@10, Recall@100 and latency per search mode.")
        {
            beir, split, data, collection, model, reranker, topK, rerankTop, json, quantize, hub,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var wall = Stopwatch.StartNew();
            var dataset = BeirDataset.Load(result.GetRequiredValue(beir), result.GetRequiredValue(split));
            var name = result.GetValue(collection) ?? dataset.Name;
            try
            {
                CollectionSettings.CheckName(name, "--collection");
            }
            catch (RetrievalException e) when (result.GetValue(collection) is null)
            {
                throw new CliException($"the folder's name \"{name}\" cannot name a collection ({e.Message}); give one with --collection NAME");
            }
            var depth = result.GetValue(topK) ?? MetricSummary.RecallCutoff;
            if (depth > SearchRequest.MaxTopK)
            {
                throw new CliException($"--top-k {depth} is above the search limit of {SearchRequest.MaxTopK}");
            }
            if (dataset.JudgedMissingDocuments > 0)
            {
                await streams.Error.WriteLineAsync($"sift: {dataset.JudgedMissingDocuments} judgments name documents missing from corpus.jsonl; they count as not found");
            }
            using var models = await RetrievalModels.LoadAsync(result.GetRequiredValue(model), result.GetValue(reranker), result.GetValue(quantize),
                result.GetValue(hub), streams, cancellationToken);
            await using var store = await RetrievalStores.OpenAsync(result.GetRequiredValue(data), null, new TextWriterLogger(streams.Error), cancellationToken);
            var evaluator = new RetrievalEvaluator(store, models.TextEmbedder, models.PassageReranker);
            var report = await evaluator.RunAsync(dataset, name, depth, result.GetValue(rerankTop), line => streams.Error.WriteLine($"sift: {line}"), cancellationToken);
            report = report with { WallSeconds = wall.Elapsed.TotalSeconds };
            if (result.GetValue(json))
            {
                EvaluationReportWriter.WriteJson(streams.Output, report);
            }
            else
            {
                EvaluationReportWriter.WriteTable(streams.Output, report, interactive: ReferenceEquals(streams.Output, Console.Out) && !Console.IsOutputRedirected);
            }
            return SiftCli.Success;
        });
        return command;
    }
}
