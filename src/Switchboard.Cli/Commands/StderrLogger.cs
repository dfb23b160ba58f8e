using Microsoft.Extensions.Logging;
using Switchboard.Events;

namespace Switchboard.Cli.Commands;

/// <summary>
/// A host's warnings and errors, one line each on stderr (made safe to print: they may quote a request), so the verbs'
/// own lines on stdout stay readable. Until <see cref="Started"/>, the host's own report of a failed start is left out:
/// the verb says why it cannot start itself, once.
/// </summary>
internal sealed class StderrLogger(TextWriter error) : ILoggerProvider
{
    private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";
    private volatile bool _started;

    public void Started() => _started = true;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName == HostCategory);

    public void Dispose()
    {
    }

    private void Write(LogLevel logLevel, string message, Exception? exception) =>
        error.WriteLine(TerminalText.Escape($"{logLevel.ToString().ToLowerInvariant()}: {message}{(exception is null ? "" : $" ({exception.Message})")}"));

    private sealed class Logger(StderrLogger writer, bool isHost) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && (writer._started || !isHost);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                writer.Write(logLevel, formatter(state, exception), exception);
            }
        }
    }
}
