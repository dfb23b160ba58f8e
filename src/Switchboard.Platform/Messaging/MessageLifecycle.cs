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
internal sealed class MessageLifecycle(EventPublisher events, LifecycleSteps steps, PlatformOptions options, TimeProvider time) : ILifecycleStepHandler
{
    public const string Resource = "message";
    public const string Send = "send";
    public const string Finish = "finish";

    string ILifecycleStepHandler.Resource => Resource;

    public async ValueTask RunAsync(IWorkTransaction transaction, LifecycleStep step)
    {
        var stored = await Messages.FindAsync(transaction, step.Id, forUpdate: true);
        if (stored is null)
        {
            return;
        }

        var message = stored.Message;
        var now = time.GetUtcNow();
        var outcome = MagicNumbers.For(stored.Recipient, message.Parts ?? 1);
        switch (step.Step)
        {
            case Send when stored.Status == MessageStatuses.Queued:
                if (!outcome.IsSent)
                {
                    await FinishAsync(transaction, stored, outcome, now);
                    return;
                }

                stored.SetStatus(MessageStatuses.Sent);
                message.SentAt = now;
                await SaveAsync(transaction, stored, now);
                await PublishAsync(transaction, stored, await RoutingAsync(transaction, stored), EventTypes.MessageSent);
                await steps.ScheduleAsync(transaction, step with { Step = Finish }, now + options.LifecycleDelay);
                return;

            case Finish when stored.Status == MessageStatuses.Sent:
                await FinishAsync(transaction, stored, outcome, now);
                return;

            default:
                // Done already: this step ran before a crash cut off its completion.
                return;
        }
    }

    private async ValueTask FinishAsync(IWorkTransaction transaction, StoredMessage stored, MessageOutcome outcome, DateTimeOffset now)
    {
        stored.SetStatus(outcome.Status);
        stored.Message.Errors = [.. outcome.Errors];
        stored.Message.CompletedAt = now;
        await SaveAsync(transaction, stored, now);
        var routing = await RoutingAsync(transaction, stored);
        var result = outcome.Status switch
        {
            MessageStatuses.Delivered => EventTypes.MessageDelivered,
            MessageStatuses.DeliveryUnconfirmed => null,
            _ => EventTypes.MessageFailed,
        };
        if (result is not null && !(options.TelnyxEvents && routing.Profile?.SwitchboardEventTypes is null))
        {
            await PublishAsync(transaction, stored, routing, result);
        }

        await PublishAsync(transaction, stored, routing, EventTypes.MessageFinalized);
    }

    private static ValueTask<int> SaveAsync(IWorkTransaction transaction, StoredMessage stored, DateTimeOffset now) =>
        Resources.UpdateAsync(transaction, ResourceKinds.Message, stored.Message.Id!, Messages.Serialize(stored), now, new ResourceColumns(Owner: stored.Message.MessagingProfileId, FinishedAt: stored.Message.CompletedAt));

    /// <summary>The message's profile and the global URLs as this step sees them (read once, for all its events).</summary>
    private static async ValueTask<(MessagingProfileResource? Profile, GlobalWebhooks Global)> RoutingAsync(IWorkTransaction transaction, StoredMessage stored) =>
        (stored.Message.MessagingProfileId is { } profileId ? await MessagingProfiles.FindAsync(transaction, profileId) : null,
            await GlobalWebhooks.ReadAsync(transaction));

    private async ValueTask PublishAsync(
        IWorkTransaction transaction, StoredMessage stored, (MessagingProfileResource? Profile, GlobalWebhooks Global) routing, string eventType)
    {
        var message = stored.Message;
        var targets = WebhookRouting.ForMessage(eventType, message.WebhookUrl, message.WebhookFailoverUrl, stored.UseProfileWebhooks, routing.Profile, routing.Global);
        await events.PublishAsync(transaction, eventType, message.Id!, eventType, message, targets, orderingKey: message.Id!);
    }
}
