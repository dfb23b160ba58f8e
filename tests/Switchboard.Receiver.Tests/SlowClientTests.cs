using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Switchboard.Receiver.Tests.Support;

namespace Switchboard.Receiver.Tests;

/// <summary>A client that sends its body too slowly gets a 408 quietly: no error logged, counted by reason, recorded.</summary>
public sealed class SlowClientTests : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(object? Scope, string Reason)> _rejections = new();

    public SlowClientTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ReceiverMetrics.MeterName && instrument.Name == "switchboard.receiver.rejected")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, _, tags, _) =>
        {
            foreach (var (key, value) in tags)
            {
                if (key == "reason")
                {
                    _rejections.Enqueue((instrument.Meter.Scope, value as string ?? ""));
                }
            }
        });
        _listener.Start();
    }

    public void Dispose() => _listener.Dispose();

    [Fact]
    public async Task A_body_that_arrives_too_slowly_gets_408_without_an_error_log_and_is_counted_and_recorded()
    {
        using var sender = new TestSender();
        await using var app = await ReceiverApp.StartAsync(
            o =>
            {
                o.PublicKeys.Add(sender.PublicKey);
                o.DataDirectory = TempFolder.Create();
                o.RecordAllRequests = true;
            },
            more: builder => builder.WebHost.ConfigureKestrel(kestrel =>
                kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 100, gracePeriod: TimeSpan.FromSeconds(1.5))));
        var scope = app.App.Services.GetRequiredService<IMeterFactory>();

        var answers = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => SendSlowlyAsync(app.BaseUrl.Port)));

        Assert.All(answers, answer => Assert.StartsWith("HTTP/1.1 408", answer, StringComparison.Ordinal));
        Assert.All(answers, answer => Assert.Contains("\"reason\":\"request_timeout\"", answer, StringComparison.Ordinal));
        Assert.DoesNotContain(app.Logs.Entries, e => e.Level >= LogLevel.Error);
        Assert.Equal(5, _rejections.Count(r => ReferenceEquals(r.Scope, scope) && r.Reason == "request_timeout"));
        var recorded = await app.Admin.ListRequestsAsync();
        Assert.Equal(5, recorded.Count(r => r.Outcome == "rejected" && r.HttpStatus == 408 && r.Reason == "request_timeout"));
    }

    /// <summary>Announces 2,000 bytes and sends a few a second; returns the answer as text.</summary>
    private static async Task<string> SendSlowlyAsync(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port);
        await socket.SendAsync(Encoding.ASCII.GetBytes(
            "POST /webhooks/telnyx HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n{"));
        var answer = new StringBuilder();
        var buffer = new byte[4096];
        using var give = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var receive = socket.ReceiveAsync(buffer, give.Token).AsTask();
        while (!receive.IsCompleted)
        {
            try
            {
                await socket.SendAsync(Encoding.ASCII.GetBytes(" "));
            }
            catch (SocketException)
            {
                break;
            }

            await Task.WhenAny(receive, Task.Delay(300));
        }

        var read = await receive;
        while (read > 0)
        {
            answer.Append(Encoding.ASCII.GetString(buffer, 0, read));
            try
            {
                read = await socket.ReceiveAsync(buffer, give.Token);
            }
            catch (SocketException)
            {
                break;
            }
        }

        return answer.ToString();
    }
}
