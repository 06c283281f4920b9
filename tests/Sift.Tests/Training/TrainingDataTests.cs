using System.Text.Json;
using Sift.Training;

namespace Sift.Tests.Training;

public sealed class TrainingDataTests
{
    [Fact]
    public void Writer_WritesMsSwiftInfoNceLines_OneObjectPerLine()
    {
        using var output = new StringWriter();
        var writer = new SwiftEmbeddingWriter(output);

        writer.Write(new SwiftEmbeddingExample("Instruct: t\nQuery:北京", "北京是首都。", ["上海是城市。", "Gravity \"pulls\"."]));
        writer.Write(new SwiftEmbeddingExample("q", "p", []));

        var lines = output.ToString().Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Equal("", lines[2]);
        Assert.Equal("""{"query":"Instruct: t\nQuery:北京","response":"北京是首都。","rejected_response":["上海是城市。","Gravity \"pulls\"."]}""", lines[0]);
        var second = JsonDocument.Parse(lines[1]).RootElement;
        Assert.Equal("q", second.GetProperty("query").GetString());
        Assert.Equal(0, second.GetProperty("rejected_response").GetArrayLength());
    }

    [Fact]
    public void Writer_EmptyQueryOrResponse_IsRefused()
    {
        var writer = new SwiftEmbeddingWriter(TextWriter.Null);
        Assert.Throws<ArgumentException>(() => writer.Write(new SwiftEmbeddingExample(" ", "p", [])));
        Assert.Throws<ArgumentException>(() => writer.Write(new SwiftEmbeddingExample("q", "", [])));
    }

    [Fact]
    public void Miner_KeepsVectorOrder_SkipsPositivesAndWhatTheRerankerCallsRelevant()
    {
        MiningCandidate[] candidates =
        [
            new("pos", "positive", 0.9),
            new("a", "likely an unjudged answer", 0.7),   // >= 0.5: the reranker says yes
            new("b", "close to the positive", 0.3),        // kept: 0.3 < min(0.5, 0.95 * 0.9)
            new("c", "hard", 0.2),
            new("b", "b's second chunk", 0.1),             // one negative per document
            new("d", "easy", 0.01),
        ];

        var negatives = HardNegativeMiner.Select(candidates, new HashSet<string> { "pos" }, positiveScore: 0.9, count: 2);

        Assert.Equal(["b", "c"], negatives.Select(n => n.DocumentId));
    }

    [Fact]
    public void Miner_WeakPositive_LowersTheCeilingTo95PercentOfItsScore()
    {
        MiningCandidate[] candidates = [new("a", "x", 0.2), new("b", "y", 0.18), new("c", "z", 0.1)];

        // Ceiling min(0.5, 0.95 * 0.2 = 0.19): "a" scores above the positive's 95%, "b" (0.18) stays.
        var negatives = HardNegativeMiner.Select(candidates, new HashSet<string>(), positiveScore: 0.2, count: 5);

        Assert.Equal(["b", "c"], negatives.Select(n => n.DocumentId));
    }
}
