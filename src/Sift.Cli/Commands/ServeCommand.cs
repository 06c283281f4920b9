using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Sift.Hub;
using Sift.Kernels;
using Sift.Server.Hosting;

namespace Sift.Cli.Commands;

/// <summary>
/// <c>sift serve</c>: the HTTP server. Every flag can also come from an environment variable
/// (SIFT_ and the flag in capitals, e.g. SIFT_MAX_BATCH_TOKENS) or from appsettings.json in the
/// working directory ({"Sift": {"MaxBatchTokens": 8192}}); a flag on the command line wins.
/// </summary>
internal static class ServeCommand
{
    public static Command Create(CliStreams streams)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .Build();
        var defaults = new ServerOptions();
        var settings = new Settings(configuration);

        var model = settings.Option<string?>("--model",
            "Embedding model: directory, .gguf file or hub id (default with no --reranker either: Qwen/Qwen3-Embedding-0.6B and Qwen/Qwen3-Reranker-0.6B). "
            + "A reranker given here is served as one.", null);
        var reranker = settings.Option<string?>("--reranker", "Reranker: directory, .gguf file or hub id.", null);
        var servedName = settings.Option<string?>("--served-model-name", "Name(s) of the --model model in requests, comma-separated (default: directory name).", null);
        var servedReranker = settings.Option<string?>("--served-reranker-name", "Name(s) of the reranker in requests, comma-separated (default: directory name).", null);
        var host = settings.Option("--host", "Address to listen on.", defaults.Host);
        var port = settings.Option("--port", "Port to listen on (0 picks a free one).", defaults.Port);
        var apiKey = settings.Option<string?>("--api-key", "Require \"Authorization: Bearer KEY\" on every route but /health and /ready.", null);
        var maxBatchTokens = settings.Option("--max-batch-tokens", "Tokens per forward pass, across the requests batched together.", defaults.MaxBatchTokens);
        var maxClientBatch = settings.Option("--max-client-batch-size", "Most inputs or documents in one request.", defaults.MaxClientBatchSize);
        var maxConcurrent = settings.Option("--max-concurrent-requests", "Requests in flight at once; more get 429.", defaults.MaxConcurrentRequests);
        var maxInputLength = settings.Option<int?>("--max-input-length", "Longest input in tokens (default: the model's limit; 8192 for rerankers).", null);
        var longDocuments = LongDocumentFlags.ForServe(settings);
        var payloadLimit = settings.Option("--payload-limit", "Largest request body (e.g. 2MB, 512KB, 1048576).", "2MB");
        var quantize = settings.Option<string?>("--quantize", "Keep weights as \"int8\" (Q8_0) instead of their stored format.", null);
        var maxMemory = settings.Option<string?>("--max-memory",
            "Memory budget for the whole process: a size (8GB, 1500MB) or a fraction of the machine's memory (0.8); "
            + "--max-batch-tokens, the longest input and the requests in flight are sized to fit it (default: no budget).", null);
        var drainTimeout = settings.Option("--drain-timeout", "Seconds SIGTERM waits for requests in flight.", (int)defaults.DrainTimeout.TotalSeconds);
        var playground = settings.Option("--playground", "Serve the web playground at / and /ui (true or false).", defaults.Playground);
        var hub = settings.Option("--hub", "Where hub ids are fetched from: huggingface (HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE) or modelscope.", "huggingface");
        hub.AcceptOnlyFromAmong("huggingface", "modelscope");
        var resilience = new ResilienceFlags(settings);
        var data = settings.Option("--data", "Where collections live: a directory (embedded SQLite + HNSW) or a postgres:// URL / Host=... connection string.",
            defaults.Data);
        var dataMaxSize = settings.Option<string?>("--data-max-size", "Largest the embedded database may grow (e.g. 10GB); writes beyond get 503.", null);

        var command = new Command("serve", "Serve the OpenAI, Cohere/Jina and TEI-compatible HTTP API.")
        {
            model, reranker, servedName, servedReranker, host, port, apiKey, maxBatchTokens, maxClientBatch, maxConcurrent, maxInputLength,
            payloadLimit, quantize, maxMemory, drainTimeout, hub, data, dataMaxSize, playground,
        };
        foreach (var option in resilience.All.Concat(longDocuments.All))
        {
            command.Options.Add(option);
        }
        command.SetAction(async (result, cancellationToken) =>
        {
            var (modelSpec, rerankerSpec) = (result.GetValue(model), result.GetValue(reranker));
            if (modelSpec is null && rerankerSpec is null)
            {
                // The one-command start on a machine with internet: the 0.6B pair from the Hub.
                (modelSpec, rerankerSpec) = (ModelSource.DefaultEmbeddingModel, ModelSource.DefaultReranker);
            }
            var hubName = result.GetValue(hub);
            var options = new ServerOptions
            {
                Model = modelSpec is null ? null : await ModelLocator.ResolveAsync(modelSpec, hubName, streams, cancellationToken),
                Reranker = rerankerSpec is null ? null : await ModelLocator.ResolveAsync(rerankerSpec, hubName, streams, cancellationToken),
                ServedModelNames = Names(result.GetValue(servedName)),
                ServedRerankerNames = Names(result.GetValue(servedReranker)),
                Host = result.GetValue(host)!,
                Port = Positive(result.GetValue(port), "--port", allowZero: true),
                ApiKey = result.GetValue(apiKey),
                MaxBatchTokens = Positive(result.GetValue(maxBatchTokens), "--max-batch-tokens"),
                MaxClientBatchSize = Positive(result.GetValue(maxClientBatch), "--max-client-batch-size"),
                MaxConcurrentRequests = Positive(result.GetValue(maxConcurrent), "--max-concurrent-requests"),
                MaxInputLength = result.GetValue(maxInputLength) is { } length ? Positive(length, "--max-input-length") : null,
                PayloadLimit = ParseSize(result.GetValue(payloadLimit)!, "--payload-limit"),
                MaxMemory = result.GetValue(maxMemory) is { } memory ? ParseMemory(memory) : null,
                Quantize = SiftCli.Quantize(result.GetValue(quantize)),
                DrainTimeout = TimeSpan.FromSeconds(Positive(result.GetValue(drainTimeout), "--drain-timeout", allowZero: true)),
                Data = result.GetValue(data)!,
                DataMaxSize = result.GetValue(dataMaxSize) is { } maxSize ? ParseSize(maxSize, "--data-max-size") : null,
                Playground = result.GetValue(playground),
                LongDocuments = longDocuments.StrategyValue(result),
                WindowOverlap = longDocuments.Windows(result).Overlap ?? Sift.Engine.LongDocuments.WindowOptions.DefaultOverlap,
                MaxWindows = longDocuments.Windows(result).MaxWindows,
                MaxWindowTokens = longDocuments.Windows(result).MaxTokens,
            };
            var app = SiftServer.Build(resilience.Apply(result, options));
            if (app.Services.GetService(typeof(MemoryPlan)) is MemoryPlan plan)
            {
                // The managed heap's share of the budget, enforced by the GC (it collects harder near it).
                AppContext.SetData("GCHeapHardLimit", (ulong)plan.ManagedHeapLimit);
                GC.RefreshMemoryLimit();
                await streams.Error.WriteLineAsync($"sift: managed heap limited to {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1048576.0:F0} MiB of the memory budget");
            }
            await app.StartAsync(cancellationToken);
            await streams.Error.WriteLineAsync($"sift: listening on {SiftServer.ListeningAddress(app)}");
            await app.WaitForShutdownAsync(CancellationToken.None);
            var registry = app.Services.GetService(typeof(ModelRegistry)) as ModelRegistry;
            await app.DisposeAsync();
            return registry?.Loaded.IsFaulted == true ? SiftCli.Failure : SiftCli.Success;
        });
        return command;
    }

    private static IReadOnlyList<string> Names(string? value) =>
        value?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];

    private static int Positive(int value, string flag, bool allowZero = false) =>
        value > 0 || allowZero && value == 0 ? value : throw new CliException($"{flag} must be {(allowZero ? "zero or more" : "positive")}, got {value}");

    /// <summary>Bytes from a size, or from a fraction (0 to 1) of the memory the process may use (the machine's, or its container's limit).</summary>
    internal static long ParseMemory(string value)
    {
        if (double.TryParse(value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var fraction) && fraction is > 0 and <= 1)
        {
            return (long)(fraction * GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
        }
        return ParseSize(value, "--max-memory", "a size such as 8GB or 1500MB, or a fraction of the machine's memory such as 0.8");
    }

    /// <summary>Bytes from "2MB", "512KB", "1GB" or a plain number: at least one byte, and few enough to count in a long.</summary>
    internal static long ParseSize(string value, string flag, string expected = "a size such as 2MB, 512KB or 1048576")
    {
        var text = value.Trim().ToUpperInvariant();
        var (number, unit) = text.EndsWith("GB", StringComparison.Ordinal) ? (text[..^2], 1L << 30)
            : text.EndsWith("MB", StringComparison.Ordinal) ? (text[..^2], 1L << 20)
            : text.EndsWith("KB", StringComparison.Ordinal) ? (text[..^2], 1L << 10)
            : text.EndsWith('B') ? (text[..^1], 1L)
            : (text, 1L);
        // "0.5" (half a byte) once became a 0-byte limit and "Infinity" or "1e300GB" a saturated long.MaxValue.
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount * unit is >= 1 and < long.MaxValue
            ? (long)(amount * unit)
            : throw new CliException($"{flag} must be {expected} (at least 1 byte, below 8 EiB), got \"{value}\"");
    }

    /// <summary>Options whose defaults come from SIFT_* environment variables, then appsettings.json, then the built-in value.</summary>
    internal sealed class Settings(IConfiguration configuration)
    {
        public Option<T> Option<T>(string flag, string description, T builtIn)
        {
            var name = flag.TrimStart('-');
            var environment = "SIFT_" + name.Replace('-', '_').ToUpperInvariant();
            var setting = "Sift:" + string.Concat(name.Split('-').Select(part => char.ToUpperInvariant(part[0]) + part[1..]));
            return new Option<T>(flag)
            {
                Description = $"{description} Env: {environment}.",
                DefaultValueFactory = _ =>
                {
                    var configured = configuration[environment] ?? configuration[setting];
                    return configured is null ? builtIn : Convert<T>(configured, flag, environment);
                },
            };
        }

        private static T Convert<T>(string value, string flag, string environment)
        {
            var type = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
            try
            {
                return (T)System.Convert.ChangeType(value, type, CultureInfo.InvariantCulture);
            }
            catch (FormatException)
            {
                throw new CliException($"{environment} (or appsettings.json) sets {flag} to \"{value}\", which is not a valid {type.Name}");
            }
        }
    }
}
