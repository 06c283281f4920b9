using Sift.Cli.Commands;

namespace Sift.Tests.Cli;

/// <summary>sift serve's cache and alert flags: a bad value stops the command with a message naming the flag and the value.</summary>
public sealed class ResilienceFlagsTests
{
    [Theory]
    [InlineData("--cache", "disk", "--cache must be \"memory\", \"none\" or \"redis://HOST:PORT[/DB]\", got \"disk\"")]
    [InlineData("--cache", "redis://127.0.0.1:6379/x", "the database must be a number, got \"x\"")]
    [InlineData("--cache-size", "0", "--cache-size must be at least 1 entry, got 0")]
    [InlineData("--cache-ttl", "soon", "--cache-ttl must be a positive duration such as 1h, 30m, 90s or 250ms, got \"soon\"")]
    [InlineData("--cache-ttl", "-5m", "--cache-ttl must be a positive duration")]
    [InlineData("--low-confidence-max-score", "1.5", "the low-confidence max-score threshold must be in [0, 1]")]
    [InlineData("--low-confidence-min-spread", "-1", "the low-confidence spread threshold must be in [0, 1]")]
    [InlineData("--low-confidence-queue-size", "0", "--low-confidence-queue-size must be at least 1, got 0")]
    [InlineData("--alert-webhook", "ftp://example/hook", "--alert-webhook must be an http:// or https:// URL, got \"ftp://example/hook\"")]
    public async Task Serve_BadValue_FailsNamingIt(string flag, string value, string message)
    {
        var (exitCode, _, error) = await CliRunner.RunAsync("", "serve", "--model", Fixtures.EmbeddingModel, "--port", "0", flag, value);

        Assert.Equal(1, exitCode);
        Assert.Contains(message, error);
        Assert.DoesNotContain("Parameter", error);
    }

    [Theory]
    [InlineData("1h", 3600)]
    [InlineData("30m", 1800)]
    [InlineData("90s", 90)]
    [InlineData("250ms", 0.25)]
    [InlineData("45", 45)]
    public void Durations_ReadAsDocumented(string text, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), ResilienceFlags.ParseDuration(text, "--cache-ttl"));
}
