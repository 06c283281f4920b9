using Microsoft.Extensions.Logging;

namespace Sift.Cli;

/// <summary>Log lines of the library (such as a vector index rebuild) as "sift: ..." lines on the command's stderr.</summary>
internal sealed class TextWriterLogger(TextWriter error) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            lock (error)
            {
                error.WriteLine($"sift: {formatter(state, exception)}");
            }
        }
    }
}
