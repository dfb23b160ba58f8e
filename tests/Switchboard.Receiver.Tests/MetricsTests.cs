using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Receiver.Inbox;
using Switchboard.Receiver.Tests.Support;
using Switchboard.Testing;

namespace Switchboard.Receiver.Tests;

/// <summary>The Meter <c>Switchboard.Receiver</c>: received by outcome, rejected by reason, handler runs by outcome, inbox lag.</summary>
public sealed class MetricsTests : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(object? Scope, string Instrument, double Value, Dictionary<string, object?> Tags)> _measurements = new();
    private object? _scope;

    public MetricsTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ReceiverMetrics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>();
        foreach (var (k, v) in tags)
        {
            copy[k] = v;
        }

        _measurements.Enqueue((instrument.Meter.Scope, instrument.Name, value, copy));
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>Only this test's app: other tests' apps in the same process use the same meter name.</summary>
    private IEnumerable<(object? Scope, string Instrument, double Value, Dictionary<string, object?> Tags)> Mine =>
        _measurements.Where(m => ReferenceEquals(m.Scope, _scope));

    private double Sum(string instrument, string tag, string value) =>
        Mine.Where(m => m.Instrument == instrument && Equals(m.Tags.GetValueOrDefault(tag), value)).Sum(m => m.Value);

    [Fact]
    public async Task Received_duplicates_rejections_handler_outcomes_and_lag_are_measured()
    {
        using var sender = new TestSender();
        var failures = 1;
        await using var app = await ReceiverApp.StartAsync(o =>
        {
            o.PublicKeys.Add(sender.PublicKey);
            o.DataDirectory = TempFolder.Create();
            o.HandlerRetryDelay = TimeSpan.FromMilliseconds(10);
        }, h => h.OnAny("h", (_, _) => Interlocked.Decrement(ref failures) >= 0 ? throw new InvalidOperationException("once") : Task.CompletedTask));

        _scope = app.App.Services.GetRequiredService<IMeterFactory>();
        var body = TestSender.Body(id: "m-1");
        var headers = sender.Sign(body);
        (await app.PostAsync(body, headers)).Dispose();
        (await app.PostAsync(body, headers)).Dispose();
        (await app.PostAsync(body, [])).Dispose();
        await Eventually.GetAsync(() => app.Admin.GetAsync("m-1"), e => e?.State == InboxEntryState.Handled, "handled");

        Assert.Equal(1, Sum("switchboard.receiver.received", "outcome", "accepted"));
        Assert.Equal(1, Sum("switchboard.receiver.received", "outcome", "duplicate"));
        Assert.Equal(1, Sum("switchboard.receiver.rejected", "reason", "missing_header"));
        Assert.Equal(1, Sum("switchboard.receiver.handler.runs", "outcome", "retry"));
        Assert.Equal(1, Sum("switchboard.receiver.handler.runs", "outcome", "completed"));
        Assert.Contains(Mine, m => m.Instrument == "switchboard.receiver.inbox.lag");
    }
}
