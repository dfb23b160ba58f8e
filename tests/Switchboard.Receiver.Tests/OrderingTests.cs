using Microsoft.Extensions.DependencyInjection;
using Switchboard.Events;
using Switchboard.Receiver.Tests.Support;

namespace Switchboard.Receiver.Tests;

public sealed class OrderingTests
{
    private static WebhookEvent Event(string type, string id, DateTimeOffset at, string messageId = "m-1")
    {
        var envelope = TestSender.Body(type, id, at, messageId);
        Assert.True(WebhookEnvelope.TryParse(envelope, out var parsed, out _));
        return parsed.Data;
    }

    internal static async Task AssertOrderingAsync(IEventOrdering ordering)
    {
        var t0 = new DateTimeOffset(2025, 10, 24, 18, 10, 2, TimeSpan.Zero);
        var sent = Event(EventTypes.MessageSent, "o-sent", t0);
        var finalized = Event(EventTypes.MessageFinalized, "o-final", t0.AddSeconds(3));
        var deliveredSameInstant = Event(EventTypes.MessageDelivered, "o-delivered", t0.AddSeconds(3));

        Assert.True(await ordering.TryAdvanceAsync(finalized));
        Assert.False(await ordering.TryAdvanceAsync(sent));
        Assert.False(await ordering.TryAdvanceAsync(deliveredSameInstant)); // same occurred_at, earlier lifecycle stage
        Assert.True(await ordering.TryAdvanceAsync(finalized)); // a retry of the applied event gets the same answer
        Assert.True(await ordering.TryAdvanceAsync(Event(EventTypes.MessageSent, "o-other", t0, "m-2"))); // another message
        Assert.True(await ordering.TryAdvanceAsync(WebhookEvent.Create("fax.received", "o-nokey", t0, new MessagePayload()))); // no resource: nothing to order
    }

    [Fact]
    public async Task A_late_older_event_does_not_advance_the_resource_on_sqlite()
    {
        using var sender = new TestSender();
        await using var app = await ReceiverApp.StartAsync(o =>
        {
            o.PublicKeys.Add(sender.PublicKey);
            o.DataDirectory = TempFolder.Create();
        });

        await AssertOrderingAsync(app.App.Services.GetRequiredService<IEventOrdering>());
    }

    [Theory]
    [InlineData("message.sent", 1)]
    [InlineData("message.finalized", 4)]
    [InlineData("call.hangup", 4)]
    [InlineData("call.initiated", 1)]
    [InlineData("something.else", 0)]
    public void Lifecycle_ranks_order_stages(string type, int rank) => Assert.Equal(rank, ResourceKeys.LifecycleRank(type));

    [Fact]
    public void Resource_keys_use_the_message_id_or_the_call_session()
    {
        Assert.Equal("message:m-9", ResourceKeys.For(Event(EventTypes.MessageSent, "x", DateTimeOffset.UnixEpoch, "m-9")));
        var call = WebhookEvent.Create(EventTypes.CallAnswered, "c", DateTimeOffset.UnixEpoch, new CallAnsweredPayload { CallControlId = "cc", CallSessionId = "cs" });
        Assert.Equal("call:cs", ResourceKeys.For(call));
    }
}
