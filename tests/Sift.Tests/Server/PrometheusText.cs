using System.Globalization;
using System.Text.RegularExpressions;

namespace Sift.Tests.Server;

/// <summary>Samples of a Prometheus text exposition, read independently of the exporter, for assertions by name and labels.</summary>
public sealed partial class PrometheusText
{
    private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _samples = [];
    private readonly Dictionary<string, string> _types = [];

    public PrometheusText(string text)
    {
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (TypeLine().Match(line) is { Success: true } type)
            {
                _types[type.Groups[1].Value] = type.Groups[2].Value;
                continue;
            }
            if (line.StartsWith('#'))
            {
                continue;
            }
            var sample = SampleLine().Match(line);
            Assert.True(sample.Success, $"not a Prometheus sample line: {line}");
            var labels = LabelPair().Matches(sample.Groups[2].Value)
                .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal));
            _samples.Add((sample.Groups[1].Value, labels, double.Parse(sample.Groups[3].Value, CultureInfo.InvariantCulture)));
        }
    }

    /// <summary>The declared type of a metric family ("counter", "gauge", "histogram"), or null.</summary>
    public string? TypeOf(string family) => _types.GetValueOrDefault(family);

    /// <summary>Every sample named <paramref name="name"/> whose labels include <paramref name="labels"/> ("key=value" each).</summary>
    public IReadOnlyList<double> Values(string name, params string[] labels) =>
        _samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l[..l.IndexOf('=')], out var v) && v == l[(l.IndexOf('=') + 1)..]))
            .Select(s => s.Value).ToArray();

    /// <summary>The one sample named so with those labels; fails unless exactly one matches.</summary>
    public double Single(string name, params string[] labels) => Assert.Single(Values(name, labels));

    /// <summary>Sum of the matching samples (0 when none).</summary>
    public double Sum(string name, params string[] labels) => Values(name, labels).Sum();

    public static async Task<PrometheusText> ScrapeAsync(HttpClient http) =>
        new(await http.GetStringAsync("/metrics", TestContext.Current.CancellationToken));

    [GeneratedRegex("^# TYPE (\\S+) (\\S+)")]
    private static partial Regex TypeLine();

    [GeneratedRegex("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)\\})? (\\S+)(?: \\d+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"")]
    private static partial Regex LabelPair();
}
