using System.Text.Json.Nodes;
using Switchboard.Platform.Messaging;
using Switchboard.Platform.Tests.Support;

namespace Switchboard.Platform.Tests;

/// <summary>The seed's message events from real lifecycles: order, outcomes by magic number, inbound messages.</summary>
public sealed class MessageLifecycleTests : IAsyncLifetime
{
    private WebhookSink _sink = null!;
    private PlatformApp _platform = null!;
    private string _number = "";

    public async Task InitializeAsync()
    {
        _sink = await WebhookSink.StartAsync();
        _platform = await PlatformApp.StartAsync();
        (_, _number) = await _platform.ProfileWithNumberAsync(_sink.Url("/hooks"));
    }

    public async Task DisposeAsync()
    {
        await _platform.DisposeAsync();
        await _sink.DisposeAsync();
    }

    private async Task<string> SendAsync(string to, string text = "hello") =>
        (await _platform.PostAsync("/v2/messages", new JsonObject { ["from"] = _number, ["to"] = to, ["text"] = text })).GetProperty("id").GetString()!;

    private Task<IReadOnlyList<SinkRequest>> WebhooksAsync(string id, int count) =>
        Eventually.GetAsync(() => Task.FromResult(_sink.For(id) is { } got && got.Count >= count ? got : null), $"{count} webhooks of {id}");

    [Fact]
    public async Task With_no_delay_each_messages_webhooks_still_arrive_in_lifecycle_order()
    {
        var ids = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => SendAsync($"+1312555{1000 + i}")));

        foreach (var id in ids)
        {
            var webhooks = await WebhooksAsync(id, 3);
            Assert.Equal(["message.sent", "message.delivered", "message.finalized"], webhooks.Select(w => w.EventType));
            Assert.All(webhooks, w => Assert.True(w.VerifiesWith(_platform.PublicKey)));
        }

        Assert.Equal(180, _sink.Received.Count);
    }

    public static TheoryData<string, string[], string, string?> Outcomes => new()
    {
        { "+13125550100", ["message.sent", "message.delivered", "message.finalized"], "delivered", null },
        { "+13125550101", ["message.sent", "message.failed", "message.finalized"], "delivery_failed", "40001" },
        { "+13125550102", ["message.sent", "message.failed", "message.finalized"], "delivery_failed", "40008" },
        { "+13125550103", ["message.failed", "message.finalized"], "sending_failed", "40013" },
        { "+13125550104", ["message.sent", "message.failed", "message.finalized"], "delivery_failed", "40002" },
        { "+13125550105", ["message.sent", "message.finalized"], "delivery_unconfirmed", null },
        { "+13125550106", ["message.sent", "message.failed", "message.finalized"], "delivery_failed", "40006" },
    };

    [Theory]
    [MemberData(nameof(Outcomes))]
    public async Task Each_magic_number_gives_its_outcome(string to, string[] events, string status, string? code)
    {
        var id = await SendAsync(to);

        var webhooks = await WebhooksAsync(id, events.Length);
        Assert.Equal(events, webhooks.Select(w => w.EventType));
        var finalized = webhooks[^1].Payload;
        Assert.Equal(status, finalized.GetProperty("to")[0].GetProperty("status").GetString());
        Assert.Equal(code, finalized.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("code").GetString()).FirstOrDefault());
        Assert.True(finalized.TryGetProperty("completed_at", out _));
        var message = await _platform.GetAsync($"/v2/messages/{id}");
        Assert.Equal(status, message.GetProperty("to")[0].GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_long_message_to_the_per_part_number_gets_an_error_per_part()
    {
        var id = await SendAsync("+13125550106", new string('x', 400));

        var webhooks = await WebhooksAsync(id, 3);
        var failed = webhooks[1].Payload;
        Assert.Equal(3, failed.GetProperty("parts").GetInt32());
        Assert.Equal(3, failed.GetProperty("errors").GetArrayLength());
    }

    [Fact]
    public async Task A_sent_message_reads_back_as_telnyx_returns_it()
    {
        var sent = await _platform.PostAsync("/v2/messages", new JsonObject { ["from"] = _number, ["to"] = "+13125550100", ["text"] = "Grüße ✓" });

        Assert.Equal(("message", "outbound", "SMS", "queued", "UCS-2", 1), (sent.GetProperty("record_type").GetString(), sent.GetProperty("direction").GetString(),
            sent.GetProperty("type").GetString(), sent.GetProperty("to")[0].GetProperty("status").GetString(), sent.GetProperty("encoding").GetString(), sent.GetProperty("parts").GetInt32()));
        Assert.Equal("USD", sent.GetProperty("cost").GetProperty("currency").GetString());
        await WebhooksAsync(sent.GetProperty("id").GetString()!, 3);
        var read = await _platform.GetAsync($"/v2/messages/{sent.GetProperty("id").GetString()}");
        Assert.Equal("delivered", read.GetProperty("to")[0].GetProperty("status").GetString());
        Assert.True(read.GetProperty("sent_at").GetDateTimeOffset() <= read.GetProperty("completed_at").GetDateTimeOffset());
    }

    [Fact]
    public async Task An_inbound_message_fires_message_received_to_the_numbers_profile()
    {
        var received = await _platform.PostAsync("/_switchboard/inbound_messages", new JsonObject { ["from"] = "+13125550177", ["to"] = _number, ["text"] = "Hello back!" });

        var webhook = Assert.Single(await WebhooksAsync(received.GetProperty("id").GetString()!, 1));
        Assert.Equal("message.received", webhook.EventType);
        Assert.Equal(("inbound", "Hello back!", "+13125550177", _number), (webhook.Payload.GetProperty("direction").GetString(), webhook.Payload.GetProperty("text").GetString(),
            webhook.Payload.GetProperty("from").GetProperty("phone_number").GetString(), webhook.Payload.GetProperty("to")[0].GetProperty("phone_number").GetString()));
        Assert.True(webhook.VerifiesWith(_platform.PublicKey));
        var (status, _) = await _platform.SendAsync(HttpMethod.Post, "/_switchboard/inbound_messages", new JsonObject { ["from"] = "+13125550177", ["to"] = "+19995550000", ["text"] = "x" });
        Assert.Equal(422, status);
    }

    [Fact]
    public void The_text_splits_into_parts_as_carriers_split_it()
    {
        Assert.Equal(new MessageText("GSM-7", 1, 160), MessageText.Of(new string('a', 160)));
        Assert.Equal(new MessageText("GSM-7", 2, 161), MessageText.Of(new string('a', 161)));
        Assert.Equal(2, MessageText.Of(new string('[', 81)).Parts);
        Assert.Equal(new MessageText("UCS-2", 1, 70), MessageText.Of(new string('é', 69) + "✓"));
        Assert.Equal(2, MessageText.Of(new string('✓', 71)).Parts);
    }
}
