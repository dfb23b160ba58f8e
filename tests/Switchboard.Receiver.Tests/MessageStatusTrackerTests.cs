using System.Net;
using System.Net.Http.Json;
using MessageStatusTracker;
using Microsoft.AspNetCore.Builder;
using Switchboard.Events;
using Switchboard.Receiver.Tests.Support;
using Switchboard.Testing;

namespace Switchboard.Receiver.Tests;

/// <summary>The sample: a late <c>message.sent</c> does not take a finalized message's status backwards.</summary>
public sealed class MessageStatusTrackerTests
{
    [Fact]
    public async Task A_sent_event_arriving_after_finalized_does_not_regress_the_status()
    {
        using var sender = new TestSender();
        await using var app = TrackerApp.Create([
            "--urls=http://127.0.0.1:0",
            $"--Telnyx:PublicKey={sender.PublicKey}",
            $"--Telnyx:DataDirectory={TempFolder.Create()}",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
        var t0 = DateTimeOffset.UtcNow.AddSeconds(-30);

        await PostAsync(client, sender, TestSender.Body(EventTypes.MessageFinalized, "fin", t0.AddSeconds(5), "m-42"));
        await Eventually.GetAsync(() => StatusAsync(client, "m-42"), s => s == "delivered", "the finalized status");
        await PostAsync(client, sender, TestSender.Body(EventTypes.MessageSent, "sent", t0, "m-42"));
        var admin = (IWebhookInboxAdmin)app.Services.GetService(typeof(IWebhookInboxAdmin))!;
        await Eventually.GetAsync(() => admin.GetAsync("sent"), e => e?.State == InboxEntryState.Handled, "the late sent event to be handled");

        Assert.Equal("delivered", await StatusAsync(client, "m-42"));

        // In order, a message moves forward as usual.
        await PostAsync(client, sender, TestSender.Body(EventTypes.MessageSent, "sent-2", t0, "m-43"));
        await Eventually.GetAsync(() => StatusAsync(client, "m-43"), s => s == "sent", "the sent status");
        await PostAsync(client, sender, TestSender.Body(EventTypes.MessageFinalized, "fin-2", t0.AddSeconds(5), "m-43"));
        await Eventually.GetAsync(() => StatusAsync(client, "m-43"), s => s == "delivered", "the finalized status");
        await app.StopAsync();
    }

    private static async Task PostAsync(HttpClient client, TestSender sender, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        foreach (var (name, value) in sender.Sign(body))
        {
            content.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await client.PostAsync("/webhooks/telnyx", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task<string?> StatusAsync(HttpClient client, string id)
    {
        using var response = await client.GetAsync($"/messages/{id}");
        return response.IsSuccessStatusCode ? (await response.Content.ReadFromJsonAsync<MessageStatusAnswer>())?.Status : null;
    }
}
