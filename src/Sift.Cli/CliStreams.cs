namespace Sift.Cli;

/// <summary>The standard streams a command reads and writes (injected, so tests run commands in-process).</summary>
internal sealed record CliStreams(TextReader Input, TextWriter Output, TextWriter Error);
