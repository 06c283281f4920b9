using System.Globalization;
using System.Text.RegularExpressions;

namespace Sift.Tests.Server;

/// <summary>Reads series from a server's /metrics (Prometheus text), whatever other labels (such as the exporter's otel_scope_*) they carry.</summary>
internal static partial class Metrics
{
    /// <summary>
    /// The value of one series, e.g. <c>sift_cache_requests_total{kind="rerank",result="hit"}</c>: the sum
    /// over the lines of that metric carrying at least those labels; 0 when there is none.
    /// </summary>
    public static async Task<double> ReadAsync(TestServer server, string series)
    {
        var brace = series.IndexOf('{', StringComparison.Ordinal);
        var name = brace < 0 ? series : series[..brace];
        var wanted = brace < 0 ? [] : Labels(series[brace..]);
        var text = await server.Http.GetStringAsync("/metrics");
        return text.Split('\n')
            .Where(line => line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal))
            .Where(line => wanted.All(label => Labels(line).Contains(label)))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }

    /// <summary>The sum of every series of a metric whose labels contain <paramref name="labelFilter"/>.</summary>
    public static Task<double> SumAsync(TestServer server, string metric, string labelFilter = "") =>
        ReadAsync(server, labelFilter.Length == 0 ? metric : $"{metric}{{{labelFilter}}}");

    private static HashSet<string> Labels(string text) => LabelPattern().Matches(text).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);

    [GeneratedRegex("[a-z_]+=\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex LabelPattern();
}
