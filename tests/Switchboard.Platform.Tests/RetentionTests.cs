using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Delivery.Outbox;
using Switchboard.Platform.Calls;
using Switchboard.Platform.Messaging;
using Switchboard.Platform.Storage;
using Switchboard.Platform.Tests.Support;

namespace Switchboard.Platform.Tests;

/// <summary>
/// <c>serve --retention</c> on a fake clock: deliveries, messages, calls and recordings are deleted once they finished
/// longer ago than the retention; anything younger, and anything unfinished (a delivery still retrying, a live call), stays.
/// </summary>
public sealed class RetentionTests : IAsyncLifetime
{
    private const string Number = "+18445550001";
    private static readonly TimeSpan Retention = TimeSpan.FromHours(1);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private WebhookSink _sink = null!;
    private PlatformApp _platform = null!;

    public async Task InitializeAsync()
    {
        _sink = await WebhookSink.StartAsync();
        _sink.Respond = path => new SinkResponse(path == "/refused" ? 500 : 200);
        _platform = await PlatformApp.StartAsync(options =>
        {
            options.Retention = Retention;
            // A refused webhook is tried again only after a day: it stays pending through this test.
            options.RetrySchedule = DeliverySchedule.Parse("0s,1d");
        }, _time);
    }

    public async Task DisposeAsync()
    {
        await _platform.DisposeAsync();
        await _sink.DisposeAsync();
    }

    [Fact]
    public async Task Each_kind_is_deleted_once_it_finished_longer_ago_than_the_retention_and_nothing_younger_or_unfinished_is()
    {
        var (profile, _) = await _platform.ProfileWithNumberAsync(_sink.Url("/messages"));
        var application = (await _platform.PostAsync("/v2/call_control_applications",
            new JsonObject { ["application_name"] = "calls", ["webhook_event_url"] = _sink.Url("/calls") })).GetProperty("id").GetString()!;
        await _platform.PostAsync("/v2/number_orders", new JsonObject
        {
            ["phone_numbers"] = new JsonArray(new JsonObject { ["phone_number"] = "+18445550002" }),
            ["connection_id"] = application,
        });

        // At the start: a message delivered, one whose webhooks are refused (they stay pending), a call recorded and hung
        // up, and a call that stays up.
        var old = await SendAsync(profile);
        var refused = await SendAsync(profile, _sink.Url("/refused"));
        await Eventually.TrueAsync(async () => (await _platform.GetAsync($"/v2/messages/{refused}")).GetProperty("to")[0].GetProperty("status").GetString() == "delivered",
            "the message with refused webhooks to be delivered");
        var ended = await DialAsync(application, record: true);
        await EventsAsync(ended.Session, "call.answered");
        await _platform.PostAsync($"/v2/calls/{Uri.EscapeDataString(ended.Id)}/actions/hangup", new JsonObject { ["command_id"] = "hangup-once" });
        await EventsAsync(ended.Session, "call.recording.saved");
        Assert.Equal(1, await _platform.CountCallCommandIdsAsync());
        var live = await DialAsync(application, record: false);
        await EventsAsync(live.Session, "call.answered");
        _time.Advance(TimeSpan.FromMinutes(30));
        var young = await SendAsync(profile);
        var oldDeliveries = DeliveryIds(old);
        var youngDeliveries = DeliveryIds(young);
        var pendingDelivery = _sink.For(refused).First().EventId;
        var retention = _platform.Services.GetRequiredService<PlatformRetention>();

        // A minute before the first things reach the retention: nothing goes.
        _time.Advance(TimeSpan.FromMinutes(29));
        await retention.PruneOnceAsync();
        Assert.Equal(200, await StatusAsync($"/v2/messages/{old}"));
        Assert.Equal(200, await StatusAsync($"/v2/calls/{Uri.EscapeDataString(ended.Id)}"));
        Assert.Equal(1, await _platform.CountResourcesAsync("recording"));
        Assert.Equal("200", await DeliveryStatusesAsync(oldDeliveries));

        _time.Advance(TimeSpan.FromMinutes(2));
        // The hosted pass may run beside this one (the clock passed its tick): either deletes what is due.
        await retention.PruneOnceAsync();

        Assert.Equal(404, await StatusAsync($"/v2/messages/{old}"));
        Assert.Equal(404, await StatusAsync($"/v2/messages/{refused}"));
        Assert.Equal(404, await StatusAsync($"/v2/calls/{Uri.EscapeDataString(ended.Id)}"));
        Assert.Equal(0, await _platform.CountResourcesAsync("recording"));
        Assert.Equal(0, await _platform.CountCallCommandIdsAsync());
        Assert.Equal("404", await DeliveryStatusesAsync(oldDeliveries));
        // Younger, or not finished: kept.
        Assert.Equal(200, await StatusAsync($"/v2/messages/{young}"));
        Assert.Equal("200", await DeliveryStatusesAsync(youngDeliveries));
        Assert.Equal("pending", (await _platform.GetAsync($"/v2/webhook_deliveries/{pendingDelivery}")).GetProperty("status").GetString());
        Assert.True((await _platform.GetAsync($"/v2/calls/{Uri.EscapeDataString(live.Id)}")).GetProperty("is_alive").GetBoolean());
    }

    /// <summary>Sends a message and waits until its webhooks are answered (or, to a refusing URL, tried once).</summary>
    private async Task<string> SendAsync(string profile, string? webhookUrl = null)
    {
        var id = (await _platform.PostAsync("/v2/messages", new JsonObject
        {
            ["from"] = Number, ["to"] = "+13125550100", ["text"] = "hello", ["messaging_profile_id"] = profile, ["webhook_url"] = webhookUrl,
            ["use_profile_webhooks"] = webhookUrl is null,
        })).GetProperty("id").GetString()!;
        await Eventually.TrueAsync(() => _sink.For(id).Any(r => webhookUrl is not null || r.EventType == "message.finalized"), $"the webhooks of {id}");
        return id;
    }

    private string[] DeliveryIds(string messageId) => [.. _sink.For(messageId).Select(r => r.EventId).Distinct()];

    private async Task<(string Id, string Session)> DialAsync(string application, bool record)
    {
        var body = new JsonObject { ["connection_id"] = application, ["from"] = "+18445550002", ["to"] = "+13125550110" };
        if (record)
        {
            body["record"] = "record-from-answer";
            body["record_format"] = "wav";
        }

        var call = await _platform.PostAsync("/v2/calls", body);
        return (call.GetProperty("call_control_id").GetString()!, call.GetProperty("call_session_id").GetString()!);
    }

    private Task EventsAsync(string session, string eventType) =>
        Eventually.TrueAsync(() => _sink.Received.Any(r => r.CallSessionId == session && r.EventType == eventType), $"{eventType} of {session}");

    /// <summary>The distinct answers to GET of each delivery, comma-separated.</summary>
    private async Task<string> DeliveryStatusesAsync(IEnumerable<string> ids)
    {
        var statuses = new SortedSet<int>();
        foreach (var id in ids)
        {
            statuses.Add(await StatusAsync($"/v2/webhook_deliveries/{id}"));
        }

        return string.Join(',', statuses);
    }

    private async Task<int> StatusAsync(string path) => (await _platform.SendAsync(HttpMethod.Get, path)).Status;
}
