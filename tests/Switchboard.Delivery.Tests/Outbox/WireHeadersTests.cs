using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Switchboard.Delivery.Http;
using Switchboard.Delivery.Outbox;
using Switchboard.DurableWork;
using Switchboard.Events;
using Switchboard.Delivery.Tests.Http;
using Switchboard.Signing;

namespace Switchboard.Delivery.Tests.Outbox;

/// <summary>
/// One attempt of the delivery engine through the real HTTP sender to a raw TCP listener: the exact request head on
/// the wire, and how a Retry-After answer moves the next attempt.
/// </summary>
public sealed class WireHeadersTests : IDisposable
{
    private const string Data = """{"event_type":"message.sent","id":"evt-wire","occurred_at":"2026-01-01T00:00:00.000Z","record_type":"event","payload":{}}""";

    private readonly Ed25519PrivateKey _key = Ed25519PrivateKey.Generate();
    private readonly HttpWebhookSender _sender = new(new HttpWebhookSenderOptions { AllowPrivateNetworks = true });
    private readonly TargetSlots _slots = new(new DeliveryOptions(), TimeProvider.System);

    public void Dispose()
    {
        _slots.Dispose();
        _sender.Dispose();
        _key.Dispose();
    }

    private DeliveryAttemptRunner Runner() => new(_sender, new WebhookSigningKeys(_key), new DeliveryOptions(), TimeProvider.System, _slots);

    private static ClaimedWorkItem Item(Uri url)
    {
        var now = DateTimeOffset.UtcNow;
        return new ClaimedWorkItem(new WorkLease(1, "lease"), "evt-wire", EventTypes.MessageSent, Data,
            WebhookOutbox.EncodeTargets([new WebhookTarget(url)]), Attempts: 0, MaxAttempts: 5, now);
    }

    [Fact]
    public async Task The_request_on_the_wire_has_exactly_the_headers_it_should_and_User_Agent_once()
    {
        var heads = new List<string>();
        await using var server = new RawTcpServer(async socket =>
        {
            var head = await RawTcpServer.ReadRequestAsync(socket);
            lock (heads)
            {
                heads.Add(head);
            }

            await socket.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8.ToArray());
        });

        var completion = await Runner().RunAsync(Item(server.Url), CancellationToken.None);

        Assert.Equal(WorkOutcome.Succeeded, completion.Outcome);
        var lines = Assert.Single(heads).Split("\r\n");
        Assert.Equal("POST /hook HTTP/1.1", lines[0]);
        var headers = lines[1..].Select(l => (Name: l[..l.IndexOf(':', StringComparison.Ordinal)], Value: l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim())).ToList();
        Assert.Equal(
            ["content-length", "content-type", "host", "telnyx-signature-ed25519", "telnyx-timestamp", "user-agent"],
            headers.Select(h => h.Name.ToLowerInvariant()).Order(StringComparer.Ordinal));
        Assert.Equal(ProductInfo.UserAgent, headers.Single(h => h.Name.Equals("User-Agent", StringComparison.OrdinalIgnoreCase)).Value);
        Assert.Equal("application/json", headers.Single(h => h.Name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)).Value);

        // The attempt log records the headers as sent: User-Agent once.
        var logged = JsonNode.Parse(Assert.Single(completion.AttemptLog).Detail)!["request_headers"]!.AsArray();
        var userAgent = Assert.Single(logged, h => ((string?)h![0])!.Equals("User-Agent", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(ProductInfo.UserAgent, (string?)userAgent![1]);
    }

    [Theory]
    [InlineData(30, 60)] // sooner than planned: the plan (1 min after attempt 1)
    [InlineData(90, 90)] // within the plan and twice it: as asked
    [InlineData(3600, 120)] // much later: twice the plan
    public async Task A_503_with_Retry_After_moves_the_next_attempt_by_the_clamped_delay(int askedSeconds, int expectedSeconds)
    {
        await using var server = new RawTcpServer(async socket =>
        {
            await RawTcpServer.ReadRequestAsync(socket);
            await socket.SendAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 503 Service Unavailable\r\nRetry-After: {askedSeconds}\r\nContent-Length: 0\r\n\r\n"));
        });
        var before = DateTimeOffset.UtcNow;

        var completion = await Runner().RunAsync(Item(server.Url), CancellationToken.None);

        Assert.Equal(WorkOutcome.Retry, completion.Outcome);
        var delay = completion.RetryAt!.Value - before;
        Assert.InRange(delay, TimeSpan.FromSeconds(expectedSeconds), TimeSpan.FromSeconds(expectedSeconds + 30));
        Assert.Equal(RetryAfterPolicy.Clamp(TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(askedSeconds)), TimeSpan.FromSeconds(expectedSeconds));
    }
}
