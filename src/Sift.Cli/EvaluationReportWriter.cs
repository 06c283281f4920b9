using System.Globalization;
using Sift.Evaluation;
using Spectre.Console;

namespace Sift.Cli;

/// <summary>Prints an <see cref="EvaluationReport"/>: a table for people, or one JSON object for programs.</summary>
internal static class EvaluationReportWriter
{
    /// <summary>Wide enough for the table's eight columns, so a redirected output is not wrapped at 80.</summary>
    private const int TableWidth = 120;

    public static void WriteTable(TextWriter output, EvaluationReport report, bool interactive)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        if (!interactive)
        {
            console.Profile.Width = TableWidth;
        }
        var indexed = report.IndexedDocuments > 0
            ? $"indexed {report.IndexedDocuments} documents in {Seconds(report.IndexSeconds)}"
            : "collection already indexed";
        // Plain writes around the table: Spectre would wrap a long line at the console width.
        output.WriteLine($"{report.Dataset}: {report.Documents} documents, {report.Queries} judged queries; collection {report.Collection}; "
            + $"model {report.Model}{(report.Reranker is { } r ? $", reranker {r}" : "")}; {indexed}");
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("mode")
            .AddColumn(new TableColumn("nDCG@10").RightAligned())
            .AddColumn(new TableColumn("MRR@10").RightAligned())
            .AddColumn(new TableColumn("Recall@100").RightAligned())
            .AddColumn(new TableColumn("p50 ms").RightAligned())
            .AddColumn(new TableColumn("p95 ms").RightAligned())
            .AddColumn(new TableColumn("mean ms").RightAligned())
            .AddColumn(new TableColumn("total s").RightAligned());
        foreach (var mode in report.Modes)
        {
            table.AddRow(
                Markup.Escape(mode.Mode),
                Metric(mode.Metrics.Ndcg10),
                Metric(mode.Metrics.Mrr10),
                Metric(mode.Metrics.Recall100),
                Milliseconds(mode.Latency.P50),
                Milliseconds(mode.Latency.P95),
                Milliseconds(mode.Latency.Mean),
                (mode.Latency.Total / 1000).ToString("F2", CultureInfo.InvariantCulture));
        }
        console.Write(table);
        output.WriteLine($"wall time {Seconds(report.WallSeconds)}");
    }

    public static void WriteJson(TextWriter output, EvaluationReport report) =>
        JsonLines.Write(output, json =>
        {
            json.WriteStartObject();
            json.WriteString("dataset", report.Dataset);
            json.WriteString("collection", report.Collection);
            json.WriteString("model", report.Model);
            if (report.Reranker is { } reranker)
            {
                json.WriteString("reranker", reranker);
            }
            else
            {
                json.WriteNull("reranker");
            }
            json.WriteNumber("documents", report.Documents);
            json.WriteNumber("queries", report.Queries);
            json.WriteNumber("indexed_documents", report.IndexedDocuments);
            json.WriteNumber("index_seconds", Math.Round(report.IndexSeconds, 3));
            json.WriteStartArray("modes");
            foreach (var mode in report.Modes)
            {
                json.WriteStartObject();
                json.WriteString("mode", mode.Mode);
                json.WriteNumber("ndcg@10", mode.Metrics.Ndcg10);
                json.WriteNumber("mrr@10", mode.Metrics.Mrr10);
                json.WriteNumber("recall@100", mode.Metrics.Recall100);
                json.WriteStartObject("latency_ms");
                json.WriteNumber("p50", Math.Round(mode.Latency.P50, 3));
                json.WriteNumber("p95", Math.Round(mode.Latency.P95, 3));
                json.WriteNumber("mean", Math.Round(mode.Latency.Mean, 3));
                json.WriteNumber("total", Math.Round(mode.Latency.Total, 3));
                json.WriteEndObject();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteNumber("wall_seconds", Math.Round(report.WallSeconds, 3));
            json.WriteEndObject();
        });

    private static string Metric(double value) => value.ToString("F4", CultureInfo.InvariantCulture);

    private static string Milliseconds(double value) => value.ToString("F1", CultureInfo.InvariantCulture);

    private static string Seconds(double value) => value.ToString("F1", CultureInfo.InvariantCulture) + " s";
}
