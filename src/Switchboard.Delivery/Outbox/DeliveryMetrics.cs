using System.Diagnostics.Metrics;

namespace Switchboard.Delivery.Outbox;

/// <summary>
/// The dispatcher's instruments on the <c>Switchboard.Delivery</c> meter (the HTTP sender adds its own to the
/// same meter name): the queue depth and the lag between an attempt's due time and its start.
/// </summary>
internal sealed class DeliveryMetrics : IDisposable
{
    public const string MeterName = "Switchboard.Delivery";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Histogram<double> _lag;
    private long _queueDepth = -1;

    public DeliveryMetrics(IMeterFactory? meterFactory)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _lag = _meter.CreateHistogram<double>(
            "switchboard.delivery.lag", unit: "s",
            description: "Time from an attempt's due time to its start.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });
        _meter.CreateObservableGauge(
            "switchboard.delivery.queue_depth",
            ObserveQueueDepth,
            unit: "{delivery}",
            description: "Deliveries waiting to be delivered or failed (refreshed periodically from the store).");
    }

    public void RecordLag(TimeSpan lag) => _lag.Record(Math.Max(0, lag.TotalSeconds));

    public void SetQueueDepth(long depth) => Interlocked.Exchange(ref _queueDepth, depth);

    private IEnumerable<Measurement<long>> ObserveQueueDepth()
    {
        var depth = Interlocked.Read(ref _queueDepth);
        return depth < 0 ? [] : [new Measurement<long>(depth)];
    }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
