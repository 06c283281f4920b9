namespace Sift.Cli;

/// <summary>A mistake in what the user gave the CLI; printed as one line, exit code 1.</summary>
internal sealed class CliException(string message) : Exception(message);
