using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Sift.Kernels;

namespace Sift.Server.Metrics;

/// <summary>
/// The server's Prometheus metrics, kept in memory and written in the text exposition format.
/// The package mirror has no Prometheus client, and these few series need nothing more.
/// </summary>
public sealed class ServerMetrics
{
    private static readonly double[] LatencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
    private static readonly double[] BatchSizeBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
    private static readonly double[] BatchTokenBuckets = [16, 64, 256, 1024, 2048, 4096, 8192, 16384, 32768, 65536];

    private readonly ConcurrentDictionary<(string Route, int Status), long> _requests = new();
    private readonly ConcurrentDictionary<string, Histogram> _latency = new();
    private readonly ConcurrentDictionary<string, Histogram> _batchSizes = new();
    private readonly ConcurrentDictionary<string, Histogram> _batchTokens = new();
    private readonly ConcurrentDictionary<string, long> _tokens = new();
    private readonly ConcurrentDictionary<string, int> _queueDepth = new();
    private readonly ConcurrentDictionary<string, double> _loadSeconds = new();

    public void RecordRequest(string route, int status, double seconds)
    {
        _requests.AddOrUpdate((route, status), 1, (_, count) => count + 1);
        _latency.GetOrAdd(route, _ => new Histogram(LatencyBuckets)).Observe(seconds);
    }

    public void RecordBatch(string model, int sequences, int tokens)
    {
        _batchSizes.GetOrAdd(model, _ => new Histogram(BatchSizeBuckets)).Observe(sequences);
        _batchTokens.GetOrAdd(model, _ => new Histogram(BatchTokenBuckets)).Observe(tokens);
        _tokens.AddOrUpdate(model, tokens, (_, total) => total + tokens);
    }

    public void AddQueueDepth(string model, int change) => _queueDepth.AddOrUpdate(model, change, (_, depth) => depth + change);

    public void RecordModelLoad(string model, double seconds) => _loadSeconds[model] = seconds;

    /// <summary>All series in the Prometheus text format (version 0.0.4).</summary>
    public string Render()
    {
        var text = new StringBuilder();
        Header(text, "sift_requests_total", "counter", "HTTP requests by route and status.");
        foreach (var ((route, status), count) in _requests.OrderBy(e => e.Key.Route, StringComparer.Ordinal).ThenBy(e => e.Key.Status))
        {
            text.Append(CultureInfo.InvariantCulture, $"sift_requests_total{{route=\"{Escape(route)}\",status=\"{status}\"}} {count}\n");
        }
        WriteHistograms(text, "sift_request_duration_seconds", "Request latency in seconds.", "route", _latency);
        Header(text, "sift_queue_depth", "gauge", "Sequences waiting for a forward pass.");
        foreach (var (model, depth) in _queueDepth.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"sift_queue_depth{{model=\"{Escape(model)}\"}} {depth}\n");
        }
        WriteHistograms(text, "sift_batch_size", "Sequences per forward pass.", "model", _batchSizes);
        WriteHistograms(text, "sift_batch_tokens", "Tokens per forward pass.", "model", _batchTokens);
        Header(text, "sift_tokens_processed_total", "counter", "Tokens run through the model.");
        foreach (var (model, tokens) in _tokens.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"sift_tokens_processed_total{{model=\"{Escape(model)}\"}} {tokens}\n");
        }
        Header(text, "sift_kernel_path_info", "gauge", "The SIMD kernel path of this process (always 1; the labels say which).");
        var path = KernelPath.Current;
        text.Append(CultureInfo.InvariantCulture, $"sift_kernel_path_info{{path=\"{Escape(path.Name)}\",instruction_set=\"{Escape(path.InstructionSet)}\","
            + $"vector_bits=\"{path.VectorBits}\",fp32=\"{Escape(path.Float32)}\",int8=\"{Escape(path.Int8)}\",int8_a16=\"{Escape(path.Int8A16)}\"}} 1\n");
        Header(text, "sift_model_load_seconds", "gauge", "Time to load and pack each model.");
        foreach (var (model, seconds) in _loadSeconds.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"sift_model_load_seconds{{model=\"{Escape(model)}\"}} {seconds:G6}\n");
        }
        return text.ToString();
    }

    private static void Header(StringBuilder text, string name, string type, string help) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n");

    private static void WriteHistograms(StringBuilder text, string name, string help, string label, ConcurrentDictionary<string, Histogram> histograms)
    {
        Header(text, name, "histogram", help);
        foreach (var (key, histogram) in histograms.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            histogram.Write(text, name, $"{label}=\"{Escape(key)}\"");
        }
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
        .Replace("\n", "\\n", StringComparison.Ordinal);

    private sealed class Histogram(double[] bounds)
    {
        private readonly long[] _counts = new long[bounds.Length];
        private readonly Lock _lock = new();
        private long _count;
        private double _sum;

        public void Observe(double value)
        {
            lock (_lock)
            {
                for (var i = 0; i < bounds.Length; i++)
                {
                    if (value <= bounds[i])
                    {
                        _counts[i]++;
                    }
                }
                _count++;
                _sum += value;
            }
        }

        public void Write(StringBuilder text, string name, string labels)
        {
            lock (_lock)
            {
                for (var i = 0; i < bounds.Length; i++)
                {
                    text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{labels},le=\"{bounds[i]:G}\"}} {_counts[i]}\n");
                }
                text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{labels},le=\"+Inf\"}} {_count}\n");
                text.Append(CultureInfo.InvariantCulture, $"{name}_sum{{{labels}}} {_sum:G17}\n");
                text.Append(CultureInfo.InvariantCulture, $"{name}_count{{{labels}}} {_count}\n");
            }
        }
    }
}
