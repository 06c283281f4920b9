using System.CommandLine;

namespace Sift.Cli.Commands;

/// <summary>
/// <c>sift probe [URL]</c>: exits 0 when the URL answers 2xx (default: this machine's /ready on
/// SIFT_PORT or 8080). The container's HEALTHCHECK runs it, as the image carries no curl.
/// </summary>
internal static class ProbeCommand
{
    /// <summary>A day: far beyond any health check's patience, well inside what HttpClient accepts.</summary>
    private const double MaxTimeoutSeconds = 86_400;

    public static Command Create(CliStreams streams)
    {
        var url = new Argument<string?>("url")
        {
            Description = "What to ask (default: http://127.0.0.1:$SIFT_PORT/ready, port 8080 when SIFT_PORT is unset).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for the answer.", DefaultValueFactory = _ => 3 };
        var command = new Command("probe", "Exit 0 if the server's /ready (or URL) answers 2xx, 1 otherwise: a health check for containers.") { url, timeout };
        command.SetAction(async (result, cancellationToken) =>
        {
            var port = Environment.GetEnvironmentVariable("SIFT_PORT") is { Length: > 0 } configured ? configured : "8080";
            var given = result.GetValue(url) ?? $"http://127.0.0.1:{port}/ready";
            if (!Uri.TryCreate(given, UriKind.Absolute, out var target) || target.Scheme is not ("http" or "https"))
            {
                throw new CliException($"the URL to probe must be an absolute http(s) URL, got \"{given}\"");
            }
            var seconds = result.GetValue(timeout);
            // HttpClient takes (0, 24.8 days]; 0, negatives, NaN and huge values surfaced as the runtime's TimeSpan errors.
            if (seconds is not (> 0 and <= MaxTimeoutSeconds))
            {
                throw new CliException($"--timeout must be a number of seconds above 0 and at most {MaxTimeoutSeconds}, got {seconds}");
            }
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(seconds) };
            try
            {
                using var response = await http.GetAsync(target, cancellationToken);
                await streams.Output.WriteLineAsync($"{target} {(int)response.StatusCode}");
                return response.IsSuccessStatusCode ? SiftCli.Success : SiftCli.Failure;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                await streams.Error.WriteLineAsync($"sift: error: {target} did not answer: {e.Message}");
                return SiftCli.Failure;
            }
        });
        return command;
    }
}
