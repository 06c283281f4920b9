using System.Text.Json;
using Sift.Cli;
using Sift.Evaluation;

namespace Sift.Tests.Cli;

public sealed class EvaluationReportWriterTests
{
    private static readonly EvaluationReport Report = new("scifact", "scifact", "qwen3-tiny-embedding", "qwen3-tiny-reranker", 5183, 300, 5183, 61.24,
    [
        new ModeResult("dense", new MetricSummary(0.62, 0.58, 0.91, 300), new LatencySummary(12.34, 20.5, 13.1, 3930)),
        new ModeResult("hybrid+rerank", new MetricSummary(0.72126, 0.7, 0.95, 300), new LatencySummary(150.04, 210, 155, 46500)),
    ], 120.5);

    [Fact]
    public void WriteTable_RedirectedOutput_OneRowPerModeWithoutColourCodes()
    {
        using var output = new StringWriter();

        EvaluationReportWriter.WriteTable(output, Report, interactive: false);

        var text = output.ToString();
        Assert.DoesNotContain("\u001b[", text);
        Assert.StartsWith("scifact: 5183 documents, 300 judged queries; collection scifact; model qwen3-tiny-embedding, reranker qwen3-tiny-reranker; "
            + "indexed 5183 documents in 61.2 s", text);
        var dense = text.Split('\n').Single(l => l.Contains("dense") && !l.Contains("hybrid"));
        Assert.Equal(["dense", "0.6200", "0.5800", "0.9100", "12.3", "20.5", "13.1", "3.93"],
            dense.Split('│', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Contains("0.7213", text);
        Assert.Contains("wall time 120.5 s", text);
    }

    [Fact]
    public void WriteJson_OneObjectWithEveryMode()
    {
        using var output = new StringWriter();

        EvaluationReportWriter.WriteJson(output, Report);

        var json = JsonDocument.Parse(output.ToString()).RootElement;
        Assert.Equal("scifact", json.GetProperty("dataset").GetString());
        Assert.Equal(300, json.GetProperty("queries").GetInt32());
        var modes = json.GetProperty("modes").EnumerateArray().ToArray();
        Assert.Equal(["dense", "hybrid+rerank"], modes.Select(m => m.GetProperty("mode").GetString()));
        Assert.Equal(0.72126, modes[1].GetProperty("ndcg@10").GetDouble());
        Assert.Equal(150.04, modes[1].GetProperty("latency_ms").GetProperty("p50").GetDouble());
    }
}
