using Sift.Cli;

namespace Sift.Tests.Cli;

/// <summary>Runs the sift command line in-process with the given stdin; returns its exit code and streams.</summary>
internal static class CliRunner
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string stdin, params string[] args)
    {
        using var input = new StringReader(stdin);
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await SiftCli.RunAsync(args, input, output, error);
        return (exitCode, output.ToString(), error.ToString());
    }

    public static string Lines(params string[] jsonLines) => string.Join('\n', jsonLines) + "\n";
}
