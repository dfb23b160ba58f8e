using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Switchboard.Delivery.Http;
using Switchboard.Testing;

namespace Switchboard.Delivery.Tests.Http;

public sealed class SenderMetricsTests(WebhookSink server) : IClassFixture<WebhookSink>
{
    [Fact]
    public async Task Every_request_counts_once_by_outcome_and_records_its_duration()
    {
        using var sender = new HttpWebhookSender(new HttpWebhookSenderOptions { AllowPrivateNetworks = true, Timeout = TimeSpan.FromSeconds(30) });
        var attempts = new List<string>();
        var durations = new List<(string Outcome, double Ms)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, sender.Meter)) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            Assert.Equal(DeliveryMeter.Attempts, instrument.Name);
            Assert.Equal(1, value);
            lock (attempts) attempts.Add(OutcomeOf(tags));
        });
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            Assert.Equal(DeliveryMeter.RequestDuration, instrument.Name);
            lock (durations) durations.Add((OutcomeOf(tags), value));
        });
        listener.Start();

        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        int closedPort = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        await sender.SendAsync(Request(server.Map(new SinkResponse(200))), CancellationToken.None);
        await sender.SendAsync(Request(server.Map(new SinkResponse(503))), CancellationToken.None);
        await sender.SendAsync(Request(new Uri($"http://127.0.0.1:{closedPort}/")), CancellationToken.None);
        await sender.SendAsync(Request(new Uri("ftp://example.com/")), CancellationToken.None);

        Assert.Equal(["2xx", "5xx", "connection_refused", "invalid_url"], attempts);
        Assert.Equal(attempts, durations.Select(d => d.Outcome));
        Assert.All(durations, d => Assert.True(d.Ms >= 0));
        Assert.Equal(DeliveryMeter.Name, sender.Meter.Name);
    }

    private static string OutcomeOf(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            if (tag.Key == DeliveryMeter.OutcomeTag) return (string)tag.Value!;
        }
        return "(none)";
    }

    private static SendRequest Request(Uri url) => new(url, "{}"u8.ToArray(), []);
}
