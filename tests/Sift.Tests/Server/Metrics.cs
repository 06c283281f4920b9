using System.Globalization;

namespace Sift.Tests.Server;

/// <summary>Reads series from a server's /metrics (Prometheus text).</summary>
internal static class Metrics
{
    /// <summary>The value of one series, e.g. <c>sift_cache_requests_total{kind="rerank",result="hit"}</c>; 0 when absent.</summary>
    public static async Task<double> ReadAsync(TestServer server, string series)
    {
        var text = await server.Http.GetStringAsync("/metrics");
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }

    /// <summary>The sum of every series of a metric whose labels contain <paramref name="labelFilter"/>.</summary>
    public static async Task<double> SumAsync(TestServer server, string metric, string labelFilter = "")
    {
        var text = await server.Http.GetStringAsync("/metrics");
        return text.Split('\n')
            .Where(l => l.StartsWith(metric + "{", StringComparison.Ordinal) && l.Contains(labelFilter, StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }
}
