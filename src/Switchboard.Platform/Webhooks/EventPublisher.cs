using Switchboard.Delivery.Outbox;
using Switchboard.DurableWork;
using Switchboard.Events;

namespace Switchboard.Platform.Webhooks;

/// <summary>
/// Turns a lifecycle's event into a webhook in the outbox, in the batch that changes the resource: the state change and
/// its webhook commit together. Its id is derived from the resource and the event's name, so a step that runs
/// again publishes nothing new; its ordering key (the message, the call session) keeps one resource's webhooks in order.
/// </summary>
public sealed class EventPublisher(WebhookOutbox outbox, TimeProvider time)
{
    /// <summary>Adds the event's webhook to <paramref name="batch"/>, built now (the batch's commit only writes it).</summary>
    /// <returns>The event, or null when the chain is empty (nowhere to send it).</returns>
    public WebhookEvent? Publish<TPayload>(
        WorkBatch batch, string eventType, string resourceId, string eventName, TPayload payload, IReadOnlyList<WebhookTarget> targets, string orderingKey)
        where TPayload : class
    {
        if (Webhook(eventType, resourceId, eventName, payload, targets, orderingKey) is not { } webhook)
        {
            return null;
        }

        outbox.Publish(batch, [webhook.Outbound]);
        return webhook.Event;
    }

    private (WebhookEvent Event, OutboundWebhook Outbound)? Webhook<TPayload>(
        string eventType, string resourceId, string eventName, TPayload payload, IReadOnlyList<WebhookTarget> targets, string orderingKey)
        where TPayload : class
    {
        if (targets.Count == 0)
        {
            return null;
        }

        var webhookEvent = WebhookEvent.Create(eventType, PlatformIdentity.EventId(resourceId, eventName), time.GetUtcNow(), payload);
        return (webhookEvent, OutboundWebhook.From(webhookEvent, targets) with { OrderingKey = orderingKey });
    }
}
