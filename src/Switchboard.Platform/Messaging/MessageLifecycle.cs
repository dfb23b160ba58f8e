using Switchboard.DurableWork;
using Switchboard.Events;
using Switchboard.Platform.Lifecycle;
using Switchboard.Platform.Storage;
using Switchboard.Platform.Webhooks;

namespace Switchboard.Platform.Messaging;

/// <summary>
/// An outbound message's life, in two durable steps after it is queued, each <see cref="PlatformOptions.LifecycleDelay"/>
/// after the one before:
/// <list type="number">
/// <item><c>send</c>: <c>queued</c> → <c>sent</c> (<c>sent_at</c>), publishing <c>message.sent</c>; a sender the carrier
/// refuses ends here instead, <c>sending_failed</c>, with <c>message.failed</c> and <c>message.finalized</c>.</item>
/// <item><c>finish</c>: the outcome <see cref="MagicNumbers"/> decides: <c>delivered</c> (<c>message.delivered</c>),
/// <c>delivery_failed</c> (<c>message.failed</c> with <c>errors</c>) or <c>delivery_unconfirmed</c>; then
/// <c>message.finalized</c>, with <c>completed_at</c>.</item>
/// </list>
/// Every event carries the message as it is at that moment, and all of one message's webhooks share its id as ordering
/// key, so a healthy receiver gets them in this order.
/// </summary>
internal sealed class MessageLifecycle(EventPublisher events, LifecycleSteps steps, PlatformOptions options, TimeProvider time) : IPlannedStepHandler
{
    public const string Resource = "message";
    public const string Send = "send";
    public const string Finish = "finish";

    string IPlannedStepHandler.Resource => Resource;

    public async ValueTask PlanAsync(IWorkReader reader, LifecycleStep step, WorkBatch batch)
    {
        if (await Resources.GetAsync(reader, ResourceKinds.Message, step.Id) is not { } read)
        {
            return;
        }

        var stored = Messages.Deserialize(read.Body);
        var message = stored.Message;
        var now = time.GetUtcNow();
        var outcome = MagicNumbers.For(stored.Recipient, message.Parts ?? 1);
        switch (step.Step)
        {
            case Send when stored.Status == MessageStatuses.Queued:
                if (!outcome.IsSent)
                {
                    PlanFinish(batch, read, stored, outcome, await RoutingAsync(reader, stored), now);
                    return;
                }

                stored.SetStatus(MessageStatuses.Sent);
                message.SentAt = now;
                Save(batch, read, stored);
                Publish(batch, stored, await RoutingAsync(reader, stored), EventTypes.MessageSent);
                steps.Schedule(batch, step with { Step = Finish }, now + options.LifecycleDelay);
                return;

            case Finish when stored.Status == MessageStatuses.Sent:
                PlanFinish(batch, read, stored, outcome, await RoutingAsync(reader, stored), now);
                return;

            default:
                // Done already: this step ran before a crash cut off its completion.
                return;
        }
    }

    private void PlanFinish(WorkBatch batch, StoredResource read, StoredMessage stored, MessageOutcome outcome, Routing routing, DateTimeOffset now)
    {
        stored.SetStatus(outcome.Status);
        stored.Message.Errors = [.. outcome.Errors];
        stored.Message.CompletedAt = now;
        Save(batch, read, stored);
        var result = outcome.Status switch
        {
            MessageStatuses.Delivered => EventTypes.MessageDelivered,
            MessageStatuses.DeliveryUnconfirmed => null,
            _ => EventTypes.MessageFailed,
        };
        if (result is not null && !(options.TelnyxEvents && routing.Profile?.SwitchboardEventTypes is null))
        {
            Publish(batch, stored, routing, result);
        }

        Publish(batch, stored, routing, EventTypes.MessageFinalized);
    }

    /// <summary>The message as it now is, in place of the version read (a conflict if it changed since).</summary>
    private static void Save(WorkBatch batch, StoredResource read, StoredMessage stored) =>
        Resources.Update(batch, ResourceKinds.Message, read, Messages.Serialize(stored),
            new ResourceColumns(Owner: stored.Message.MessagingProfileId, FinishedAt: stored.Message.CompletedAt));

    private readonly record struct Routing(MessagingProfileResource? Profile, GlobalWebhooks Global);

    /// <summary>The message's profile and the global URLs as this step sees them (read once, for all its events).</summary>
    private static async ValueTask<Routing> RoutingAsync(IWorkReader reader, StoredMessage stored) =>
        new(stored.Message.MessagingProfileId is { } profileId ? await MessagingProfiles.FindAsync(reader, profileId) : null,
            await GlobalWebhooks.ReadAsync(reader));

    private void Publish(WorkBatch batch, StoredMessage stored, Routing routing, string eventType)
    {
        var message = stored.Message;
        var targets = WebhookRouting.ForMessage(eventType, message.WebhookUrl, message.WebhookFailoverUrl, stored.UseProfileWebhooks, routing.Profile, routing.Global);
        events.Publish(batch, eventType, message.Id!, eventType, message, targets, orderingKey: message.Id!);
    }
}
