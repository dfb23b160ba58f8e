using System.Text.Json;
using System.Text.Json.Nodes;
using Switchboard.Delivery.Outbox;
using Switchboard.Platform.Tests.Support;

namespace Switchboard.Platform.Tests;

/// <summary>
/// Where a message's webhooks go (the seed's levels: message, then profile, then global) and what happens when targets
/// fail: failover within an attempt, the retry schedule, the attempt log, redelivery. Real HTTP on loopback.
/// </summary>
public sealed class WebhookRoutingTests : IAsyncLifetime
{
    private WebhookSink _sink = null!;
    private PlatformApp _platform = null!;

    public async Task InitializeAsync()
    {
        _sink = await WebhookSink.StartAsync();
        _platform = await PlatformApp.StartAsync(options =>
        {
            options.GlobalWebhookUrl = "http://127.0.0.1:1/unused"; // replaced per test through the emulator endpoint
            options.RetrySchedule = DeliverySchedule.Parse("0s,300ms,300ms");
        });
    }

    public async Task DisposeAsync()
    {
        await _platform.DisposeAsync();
        await _sink.DisposeAsync();
    }

    private async Task<string> SendAsync(string from, JsonObject? extra = null, string to = "+13125550199")
    {
        var body = new JsonObject { ["from"] = from, ["to"] = to, ["text"] = "routing" };
        foreach (var (name, value) in extra ?? [])
        {
            body[name] = value?.DeepClone();
        }

        return (await _platform.PostAsync("/v2/messages", body)).GetProperty("id").GetString()!;
    }

    private async Task SetGlobalAsync(string? url, string? failover = null) =>
        await _platform.OkAsync(HttpMethod.Put, "/_switchboard/global_webhooks", new JsonObject { ["webhook_url"] = url, ["webhook_failover_url"] = failover });

    private Task<IReadOnlyList<SinkRequest>> WebhooksAsync(string messageId, int count) =>
        Eventually.GetAsync(() => Task.FromResult(_sink.For(messageId) is { } got && got.Count >= count ? got : null), $"{count} webhooks of {messageId}");

    [Fact]
    public async Task The_message_url_is_tried_first_then_the_profiles_and_the_global_url_not_at_all()
    {
        await SetGlobalAsync(_sink.Url("/global"));
        var (_, number) = await _platform.ProfileWithNumberAsync(_sink.Url("/profile"));
        _sink.Respond = path => new SinkResponse(path == "/message" ? 500 : 200);

        var id = await SendAsync(number, new JsonObject { ["webhook_url"] = _sink.Url("/message") });

        var webhooks = await WebhooksAsync(id, 6);
        // Each event: the message's URL (500), then in the same attempt the profile's (200). Never the global one.
        Assert.Equal(["/message", "/profile", "/message", "/profile", "/message", "/profile"], webhooks.Take(6).Select(w => w.Path));
        Assert.All(webhooks, w => Assert.Equal(1, w.Attempt));
        Assert.All(webhooks, w => Assert.True(w.VerifiesWith(_platform.PublicKey)));
        var sent = await _platform.DeliveryAsync(webhooks[0].EventId, "delivered");
        Assert.Equal([_sink.Url("/profile"), _sink.Url("/message")], sent.GetProperty("attempts").EnumerateArray().Select(a => a.GetProperty("http").GetProperty("request").GetProperty("url").GetString()));
        Assert.Equal([1, 1], sent.GetProperty("attempts").EnumerateArray().Select(a => a.GetProperty("attempt").GetInt32()));
    }

    [Fact]
    public async Task Use_profile_webhooks_false_skips_the_profile_and_the_message_url_alone_is_used()
    {
        await SetGlobalAsync(_sink.Url("/global"));
        var (_, number) = await _platform.ProfileWithNumberAsync(_sink.Url("/profile"));

        var id = await SendAsync(number, new JsonObject { ["webhook_url"] = _sink.Url("/message"), ["use_profile_webhooks"] = false });

        var webhooks = await WebhooksAsync(id, 3);
        Assert.All(webhooks, w => Assert.Equal("/message", w.Path));
    }

    [Fact]
    public async Task Without_message_or_profile_urls_the_global_urls_get_the_webhooks_and_a_profile_url_wins_over_them()
    {
        await SetGlobalAsync(_sink.Url("/global"), _sink.Url("/global-failover"));
        _sink.Respond = path => new SinkResponse(path == "/global" ? 503 : 200);
        var (_, bare) = await _platform.ProfileWithNumberAsync(webhookUrl: null, number: "+18445550002");
        var (_, withUrl) = await _platform.ProfileWithNumberAsync(_sink.Url("/profile"), number: "+18445550003");

        var global = await WebhooksAsync(await SendAsync(bare), 6);
        var profile = await WebhooksAsync(await SendAsync(withUrl), 3);

        Assert.Equal(["/global", "/global-failover"], global.Take(2).Select(w => w.Path));
        Assert.All(profile, w => Assert.Equal("/profile", w.Path));
    }

    [Fact]
    public async Task A_primary_answering_500_sends_attempt_1_to_its_failover_with_a_body_signed_for_it()
    {
        var (_, number) = await _platform.ProfileWithNumberAsync(_sink.Url("/primary"), _sink.Url("/failover"));
        _sink.Respond = path => new SinkResponse(path == "/primary" ? 500 : 200);

        var webhooks = await WebhooksAsync(await SendAsync(number), 2);

        Assert.Equal(["/primary", "/failover"], webhooks.Take(2).Select(w => w.Path));
        Assert.Equal((1, 1), (webhooks[0].Attempt, webhooks[1].Attempt));
        Assert.Equal(webhooks[0].EventId, webhooks[1].EventId);
        Assert.Equal(_sink.Url("/failover"), JsonDocument.Parse(webhooks[1].Body).RootElement.GetProperty("meta").GetProperty("delivered_to").GetString());
        Assert.True(webhooks[1].VerifiesWith(_platform.PublicKey));
    }

    [Fact]
    public async Task A_chain_that_always_fails_follows_the_schedule_ends_failed_with_every_request_and_is_redelivered_once_the_receiver_recovers()
    {
        var (_, number) = await _platform.ProfileWithNumberAsync(_sink.Url("/down"), _sink.Url("/down-too"));
        _sink.Respond = _ => new SinkResponse(500);

        var id = await SendAsync(number);
        var sent = (await WebhooksAsync(id, 2))[0].EventId;
        var failed = await _platform.DeliveryAsync(sent, "failed");

        // Three attempts of the shortened schedule, each trying the primary then the failover: six requests, newest first.
        var attempts = failed.GetProperty("attempts").EnumerateArray().ToList();
        Assert.Equal([3, 3, 2, 2, 1, 1], attempts.Select(a => a.GetProperty("attempt").GetInt32()));
        Assert.Equal(["/down-too", "/down", "/down-too", "/down", "/down-too", "/down"], attempts.Select(a => new Uri(a.GetProperty("http").GetProperty("request").GetProperty("url").GetString()!).AbsolutePath));
        Assert.All(attempts, a => Assert.Equal((500, "failed", 75499), (a.GetProperty("http").GetProperty("response").GetProperty("status").GetInt32(), a.GetProperty("status").GetString(), a.GetProperty("errors")[0].GetInt32())));
        Assert.Equal(3, failed.GetProperty("attempt_count").GetInt32());
        Assert.True(failed.GetProperty("finished_at").ValueKind == JsonValueKind.String);
        var listed = await _platform.GetAsync($"/v2/webhook_deliveries?filter[webhook][contains]={sent}");
        // A list carries each delivery's newest requests only, so a page costs memory bounded by its size.
        Assert.Equal([3, 3, 2, 2, 1], Assert.Single(listed.EnumerateArray()).GetProperty("attempts").EnumerateArray().Select(a => a.GetProperty("attempt").GetInt32()));

        _sink.Respond = _ => new SinkResponse(200);
        var redelivered = await _platform.PostAsync($"/_switchboard/webhook_deliveries/{sent}/redeliver", "{}");
        Assert.Equal("pending", redelivered.GetProperty("status").GetString());
        var delivered = await _platform.DeliveryAsync(sent, "delivered");
        Assert.Equal(4, delivered.GetProperty("attempts")[0].GetProperty("attempt").GetInt32());
        Assert.Equal(4, _sink.For(id).Last(w => w.EventId == sent).Attempt);
    }

    [Fact]
    public async Task A_delivery_keeps_the_requests_of_its_newest_attempts_and_counts_them_all()
    {
        await _platform.DisposeAsync();
        _platform = await PlatformApp.StartAsync(options =>
        {
            options.RetrySchedule = DeliverySchedule.Parse("0s,300ms,300ms");
            options.AttemptLogLimit = 2;
        });
        var (_, number) = await _platform.ProfileWithNumberAsync(_sink.Url("/down"), _sink.Url("/down-too"));
        _sink.Respond = _ => new SinkResponse(500);

        var id = await SendAsync(number);
        var sent = (await WebhooksAsync(id, 2))[0].EventId;
        var failed = await _platform.DeliveryAsync(sent, "failed");

        Assert.Equal([3, 3, 2, 2], failed.GetProperty("attempts").EnumerateArray().Select(a => a.GetProperty("attempt").GetInt32()));
        Assert.Equal(3, failed.GetProperty("attempt_count").GetInt32());
    }

    [Fact]
    public async Task Every_failed_delivery_since_a_time_is_redelivered_and_only_those()
    {
        var (_, number) = await _platform.ProfileWithNumberAsync(_sink.Url("/down"));
        _sink.Respond = _ => new SinkResponse(500);
        var id = await SendAsync(number);
        var sent = (await WebhooksAsync(id, 1))[0].EventId;
        await _platform.DeliveryAsync(sent, "failed");
        var since = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O");

        _sink.Respond = _ => new SinkResponse(200);
        var result = await _platform.PostAsync("/_switchboard/webhook_deliveries/redeliver_failed", new JsonObject { ["since"] = since });

        Assert.True(result.GetProperty("redelivered").GetInt32() >= 1);
        await _platform.DeliveryAsync(sent, "delivered");
        var (status, _) = await _platform.SendAsync(HttpMethod.Post, "/_switchboard/webhook_deliveries/no-such-event/redeliver", "{}");
        Assert.Equal(404, status);
    }

    [Fact]
    public async Task A_profile_that_takes_only_some_event_types_gets_only_those()
    {
        var (profileId, number) = await _platform.ProfileWithNumberAsync(_sink.Url("/profile"));
        await _platform.OkAsync(HttpMethod.Patch, $"/v2/messaging_profiles/{profileId}",
            new JsonObject { ["switchboard_event_types"] = new JsonArray("message.sent", "message.finalized") });

        var id = await SendAsync(number);

        var webhooks = await WebhooksAsync(id, 2);
        Assert.Equal(["message.sent", "message.finalized"], webhooks.Select(w => w.EventType));
        var deliveries = await _platform.CountDeliveriesAsync();
        Assert.Equal(2, deliveries);
    }
}
