using System.Diagnostics.Metrics;
using Switchboard.Receiver.Inbox;

namespace Switchboard.Receiver;

/// <summary>The receiver's instruments on the Meter <c>Switchboard.Receiver</c> (ready for OpenTelemetry).</summary>
internal sealed class ReceiverMetrics
{
    public const string MeterName = "Switchboard.Receiver";

    private readonly Counter<long> _received;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _handlerRuns;
    private readonly Histogram<double> _inboxLag;

    public ReceiverMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        _received = meter.CreateCounter<long>("switchboard.receiver.received", "{webhook}", "Webhooks accepted, by event type and outcome (accepted, duplicate)");
        _rejected = meter.CreateCounter<long>("switchboard.receiver.rejected", "{request}", "Requests rejected, by reason");
        _handlerRuns = meter.CreateCounter<long>("switchboard.receiver.handler.runs", "{run}", "Handler runs, by handler and outcome (completed, retry, dead_letter)");
        _inboxLag = meter.CreateHistogram<double>("switchboard.receiver.inbox.lag", "ms", "Time from receipt to the start of a handler run");
    }

    internal void Received(string eventType, InboxWriteOutcome outcome) =>
        _received.Add(1, new("event_type", eventType), new("outcome", outcome == InboxWriteOutcome.Duplicate ? "duplicate" : "accepted"));

    internal void Rejected(string reason) => _rejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    internal void HandlerRan(string handler, string outcome) =>
        _handlerRuns.Add(1, new("handler", handler), new("outcome", outcome));

    internal void InboxLag(TimeSpan lag) => _inboxLag.Record(lag.TotalMilliseconds);
}
