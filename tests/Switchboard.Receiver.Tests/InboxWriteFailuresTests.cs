using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Receiver.Storage;
using Switchboard.Receiver.Tests.Support;

namespace Switchboard.Receiver.Tests;

/// <summary>A full disk fails every request: its errors are logged once per 10 s with a count, and the health check says so.</summary>
public sealed class InboxWriteFailuresTests
{
    [Fact]
    public void Failures_are_logged_at_most_once_per_ten_seconds_with_how_many_there_were_and_remembered_until_a_write_succeeds()
    {
        var time = new FakeTimeProvider();
        using var logs = new LogSink();
        var failures = new InboxWriteFailures(time, new Logger<InboxWriteFailures>(new LoggerFactory([logs])));
        var full = new IOException("database or disk is full");

        failures.Failed(full);
        time.Advance(TimeSpan.FromSeconds(3));
        failures.Failed(full);
        failures.Failed(full);
        Assert.Single(Errors(logs));
        Assert.EndsWith("s): 1", Errors(logs)[0], StringComparison.Ordinal);

        time.Advance(TimeSpan.FromSeconds(7));
        failures.Failed(full);
        Assert.Equal(2, Errors(logs).Count);
        Assert.EndsWith("s): 3", Errors(logs)[1], StringComparison.Ordinal);
    }

    [Fact]
    public void The_check_is_unhealthy_for_30_seconds_after_a_failed_write_then_degraded_until_a_write_succeeds()
    {
        var time = new FakeTimeProvider();
        using var logs = new LogSink();
        var failures = new InboxWriteFailures(time, new Logger<InboxWriteFailures>(new LoggerFactory([logs])));
        Assert.Null(failures.Check());

        var full = new IOException("database or disk is full");
        failures.Failed(full);
        Assert.Equal(HealthStatus.Unhealthy, failures.Check()?.Status);
        Assert.Same(full, failures.Check()?.Exception);

        // No webhook comes (a load balancer may have stopped sending to this instance): it must not stay out for good.
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(HealthStatus.Unhealthy, failures.Check()?.Status);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HealthStatus.Degraded, failures.Check()?.Status);

        failures.Failed(full);
        Assert.Equal(HealthStatus.Unhealthy, failures.Check()?.Status);
        failures.Succeeded();
        Assert.Null(failures.Check());
    }

    private static List<string> Errors(LogSink logs) => [.. logs.Entries.Where(e => e.Level == LogLevel.Error).Select(e => e.Message)];
}
