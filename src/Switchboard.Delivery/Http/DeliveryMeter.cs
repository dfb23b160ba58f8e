using System.Diagnostics.Metrics;
using Switchboard.Events;

namespace Switchboard.Delivery.Http;

/// <summary>
/// The names of the delivery metrics, for OpenTelemetry (<c>AddMeter(DeliveryMeter.Name)</c>) and dashboards.
/// All instruments of the delivery engine live on one <see cref="Meter"/> named <see cref="Name"/>.
/// </summary>
public static class DeliveryMeter
{
    public const string Name = "Switchboard.Delivery";

    /// <summary>Counter of requests sent, one per URL tried, tagged <see cref="OutcomeTag"/>.</summary>
    public const string Attempts = "switchboard.delivery.attempts";

    /// <summary>Histogram of request duration in milliseconds, from start to outcome, tagged <see cref="OutcomeTag"/>.</summary>
    public const string RequestDuration = "switchboard.delivery.request.duration";

    /// <summary>Deliveries waiting to be sent (the dispatcher's queue).</summary>
    public const string QueueDepth = "switchboard.delivery.queue.depth";

    /// <summary>Histogram of milliseconds between an attempt's due time and its start.</summary>
    public const string DueLag = "switchboard.delivery.due_lag";

    /// <summary>
    /// The outcome of one request: the status class for an HTTP answer (<c>2xx</c> is the only success, then
    /// <c>1xx</c>, <c>3xx</c>, <c>4xx</c>, <c>5xx</c>), otherwise the <see cref="SendErrorKind"/> in snake_case
    /// (<c>timeout</c>, <c>connection_refused</c>, <c>dns</c>, <c>tls</c>, <c>reset</c>, <c>ssrf_blocked</c>,
    /// <c>invalid_url</c>, <c>other</c>).
    /// </summary>
    public const string OutcomeTag = "outcome";

    internal static string OutcomeOf(SendErrorKind error, int? statusCode) => error switch
    {
        SendErrorKind.None or SendErrorKind.HttpStatus => (statusCode / 100) switch
        {
            1 => "1xx",
            2 => "2xx",
            3 => "3xx",
            4 => "4xx",
            5 => "5xx",
            _ => "other",
        },
        SendErrorKind.Timeout => "timeout",
        SendErrorKind.ConnectionRefused => "connection_refused",
        SendErrorKind.Dns => "dns",
        SendErrorKind.Tls => "tls",
        SendErrorKind.Reset => "reset",
        SendErrorKind.SsrfBlocked => "ssrf_blocked",
        SendErrorKind.InvalidUrl => "invalid_url",
        _ => "other",
    };
}

/// <summary>The sender's instruments on the delivery meter.</summary>
internal sealed class SenderMetrics : IDisposable
{
    private static readonly double[] s_durationBucketsMs = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2000, 5000, 10000];

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _attempts;
    private readonly Histogram<double> _duration;

    public SenderMetrics(IMeterFactory? meterFactory)
    {
        var options = new MeterOptions(DeliveryMeter.Name) { Version = ProductInfo.Version };
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(options) ?? new Meter(options);
        _attempts = _meter.CreateCounter<long>(DeliveryMeter.Attempts, "{request}", "Webhook requests sent, by outcome.");
        _duration = _meter.CreateHistogram(DeliveryMeter.RequestDuration, "ms", "Duration of one webhook request.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = s_durationBucketsMs });
    }

    public Meter Meter => _meter;

    public void Record(SendErrorKind error, int? statusCode, double durationMs)
    {
        var outcome = new KeyValuePair<string, object?>(DeliveryMeter.OutcomeTag, DeliveryMeter.OutcomeOf(error, statusCode));
        _attempts.Add(1, outcome);
        _duration.Record(durationMs, outcome);
    }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
