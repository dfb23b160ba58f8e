using Microsoft.Extensions.Logging;

namespace Switchboard.Receiver.Storage;

/// <summary>
/// The request path's failed inbox writes (a full disk, the database down): logged at most once per
/// <see cref="LogInterval"/> with how many there were, since a full disk fails every request and an error with its
/// stack trace for each would flood the log (perhaps on that same disk); and remembered until a write succeeds, so the
/// health check reports it (a full disk still reads fine).
/// </summary>
internal sealed partial class InboxWriteFailures(TimeProvider time, ILogger<InboxWriteFailures> logger)
{
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);
    private readonly Lock _gate = new();
    private long? _loggedAt;
    private int _unlogged;
    private volatile Exception? _latest;

    /// <summary>The failure of the latest write, or null if it succeeded.</summary>
    public Exception? Latest => _latest;

    public void Failed(Exception exception)
    {
        _latest = exception;
        int failures;
        lock (_gate)
        {
            _unlogged++;
            var now = time.GetTimestamp();
            if (_loggedAt is { } last && time.GetElapsedTime(last, now) < LogInterval)
            {
                return;
            }

            _loggedAt = now;
            failures = _unlogged;
            _unlogged = 0;
        }

        LogWriteFailed(logger, failures, LogInterval.TotalSeconds, exception);
    }

    public void Succeeded()
    {
        // Read first: the common case writes nothing, so requests on several processors do not contend for the field.
        if (_latest is not null)
        {
            _latest = null;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The webhook inbox could not write; webhooks get 503 until it can. Failed writes since the last such message (logged at most once per {Seconds} s): {Failures}")]
    private static partial void LogWriteFailed(ILogger logger, int failures, double seconds, Exception exception);
}
