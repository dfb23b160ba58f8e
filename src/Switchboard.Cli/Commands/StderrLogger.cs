using Microsoft.Extensions.Logging;

namespace Switchboard.Cli.Commands;

/// <summary>A host's warnings and errors, one line each on stderr, so the verbs' own lines on stdout stay readable.</summary>
internal sealed class StderrLogger(TextWriter error) : ILoggerProvider, ILogger
{
    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            error.WriteLine($"{logLevel.ToString().ToLowerInvariant()}: {formatter(state, exception)}{(exception is null ? "" : $" ({exception.Message})")}");
        }
    }

    public void Dispose()
    {
    }
}
