using System.Diagnostics.Metrics;

namespace Switchboard.Platform;

/// <summary>The platform's own instruments (the delivery engine's are on <c>Switchboard.Delivery</c>).</summary>
public sealed class PlatformMetrics : IDisposable
{
    public const string MeterName = "Switchboard.Platform";

    private readonly Meter _meter;
    private readonly Counter<long> _messages;

    public PlatformMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _messages = _meter.CreateCounter<long>("switchboard.platform.messages", unit: "{message}", description: "Messages accepted by the API, by direction.");
    }

    public void MessageAccepted(string direction) => _messages.Add(1, new KeyValuePair<string, object?>("direction", direction));

    public void Dispose() => _meter.Dispose();
}
