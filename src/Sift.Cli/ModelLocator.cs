using System.CommandLine;
using Sift.Hub;
using Spectre.Console;

namespace Sift.Cli;

/// <summary>
/// Resolves --model values for the commands: local paths as they are, hub ids through the cache,
/// downloading what is missing with a progress bar on a terminal and plain log lines otherwise.
/// </summary>
internal static class ModelLocator
{
    /// <summary>The --hub option: where hub ids are looked up.</summary>
    public static Option<string> HubOption()
    {
        var option = new Option<string>("--hub") { Description = "Where hub ids are fetched from: huggingface (HF_ENDPOINT, HF_TOKEN) or modelscope.", DefaultValueFactory = _ => "huggingface" };
        option.AcceptOnlyFromAmong("huggingface", "modelscope");
        return option;
    }

    public static async Task<string> ResolveAsync(string spec, string? hub, CliStreams streams, CancellationToken cancellationToken)
    {
        if (ModelSource.IsLocal(spec))
        {
            return spec;
        }
        var options = HubOptions.FromEnvironment(hub == "modelscope" ? HubKind.ModelScope : HubKind.HuggingFace);
        if (ReferenceEquals(streams.Error, Console.Error) && !Console.IsErrorRedirected)
        {
            return await WithProgressBarsAsync(spec, options, cancellationToken);
        }
        var reporter = new PlainProgress(streams.Error);
        var path = await ModelSource.ResolveAsync(spec, options, reporter, cancellationToken);
        await streams.Error.WriteLineAsync($"sift: {spec} -> {path}");
        return path;
    }

    private static async Task<string> WithProgressBarsAsync(string spec, HubOptions options, CancellationToken cancellationToken)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        string path = spec;
        await console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(),
                new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                var progress = new Progress<DownloadProgress>(report =>
                {
                    if (!tasks.TryGetValue(report.File, out var task))
                    {
                        task = tasks[report.File] = context.AddTask(Markup.Escape(report.File), maxValue: report.TotalBytes ?? 1);
                    }
                    task.MaxValue = report.TotalBytes ?? Math.Max(report.Bytes, 1);
                    task.Value = report.Bytes;
                    if (report.Done)
                    {
                        task.StopTask();
                    }
                });
                path = await ModelSource.ResolveAsync(spec, options, progress, cancellationToken);
            });
        return path;
    }

    /// <summary>One line per file when it starts, about every 10% and when it is done: logs stay readable.</summary>
    private sealed class PlainProgress(TextWriter error) : IProgress<DownloadProgress>
    {
        private readonly Dictionary<string, (int Tenths, System.Diagnostics.Stopwatch Clock)> _files = new();
        private readonly Lock _lock = new();

        public void Report(DownloadProgress value)
        {
            lock (_lock)
            {
                if (!_files.TryGetValue(value.File, out var state))
                {
                    state = (-1, System.Diagnostics.Stopwatch.StartNew());
                }
                var tenths = value.TotalBytes is > 0 and var total ? (int)(value.Bytes * 10 / total) : 0;
                if (tenths == state.Tenths && !value.Done)
                {
                    return;
                }
                _files[value.File] = (tenths, state.Clock);
                var seconds = Math.Max(state.Clock.Elapsed.TotalSeconds, 1e-3);
                var rate = value.Bytes / seconds;
                var eta = value.TotalBytes is { } size && rate > 0 ? $", ETA {TimeSpan.FromSeconds((size - value.Bytes) / rate):hh\\:mm\\:ss}" : "";
                error.WriteLine(value.Done
                    ? $"sift: downloaded {value.File} ({Megabytes(value.Bytes)})"
                    : $"sift: downloading {value.File}: {Megabytes(value.Bytes)} of {(value.TotalBytes is { } t ? Megabytes(t) : "?")} ({Megabytes((long)rate)}/s{eta})");
            }
        }

        private static string Megabytes(long bytes) => $"{bytes / 1048576.0:F1} MB";
    }
}
