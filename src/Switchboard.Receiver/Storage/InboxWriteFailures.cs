using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Switchboard.Receiver.Storage;

/// <summary>
/// The inbox's failed writes (a full disk, the database down or read-only). Logged at most once per
/// <see cref="LogInterval"/> with how many there were, since a full disk fails every request and an error with its
/// stack trace for each would flood the log (perhaps on that same disk). Remembered until a write succeeds, for the
/// health check, since a full disk still reads fine.
/// </summary>
internal sealed partial class InboxWriteFailures(TimeProvider time, ILogger<InboxWriteFailures> logger)
{
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long after a failed write the check says Unhealthy; later, with no write tried since, Degraded. A load
    /// balancer that stops sending to an unhealthy instance would otherwise keep it out for good: only a write clears
    /// the failure, and no webhook would come to try one.
    /// </summary>
    internal static readonly TimeSpan UnhealthyFor = TimeSpan.FromSeconds(30);

    private readonly Lock _gate = new();
    private long? _loggedAt;
    private int _unlogged;
    private volatile Failure? _latest;

    public void Failed(Exception exception)
    {
        var now = time.GetTimestamp();
        _latest = new Failure(exception, now);
        int failures;
        lock (_gate)
        {
            _unlogged++;
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

    /// <summary>What the health check reports for the writes: null while the latest one succeeded.</summary>
    public HealthCheckResult? Check()
    {
        if (_latest is not { } failure)
        {
            return null;
        }

        var ago = time.GetElapsedTime(failure.At);
        var seconds = (int)ago.TotalSeconds;
        return ago < UnhealthyFor
            ? HealthCheckResult.Unhealthy($"the inbox could not store a webhook {seconds} s ago (answered 503)", failure.Error)
            : HealthCheckResult.Degraded($"the inbox could not store a webhook {seconds} s ago, and none has come since", failure.Error);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The webhook inbox could not write; webhooks get 503 until it can. Failed writes since the last such message (logged at most once per {Seconds} s): {Failures}")]
    private static partial void LogWriteFailed(ILogger logger, int failures, double seconds, Exception exception);

    private sealed record Failure(Exception Error, long At);
}
