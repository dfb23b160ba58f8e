using System.Text.Json;
using Switchboard.Events;

namespace Switchboard.Receiver;

/// <summary>
/// Webhooks arrive out of order. For a state projection (a message's status, a call's state) this tells a
/// handler whether an event is newer than everything already applied to the same resource, and records it as
/// applied if so, atomically, so the projection never goes backwards — also across instances.
/// </summary>
public interface IEventOrdering
{
    /// <summary>
    /// True when <paramref name="webhookEvent"/> is not older than the newest event applied to its resource (and it
    /// is now recorded as the newest); false when a newer one was already applied: skip it. Asking again for the
    /// same event (a retry) gives the same answer as long as nothing newer arrived in between.
    /// </summary>
    Task<bool> TryAdvanceAsync(WebhookEvent webhookEvent, CancellationToken cancellationToken = default);
}

/// <summary>Which resource an event is about, and where it falls in that resource's lifecycle.</summary>
public static class ResourceKeys
{
    /// <summary>
    /// <c>message:{payload.id}</c> for <c>message.*</c>; <c>call:{call_session_id}</c> (else
    /// <c>call_control_id</c>) for <c>call.*</c>; otherwise null (no ordering to keep).
    /// </summary>
    public static string? For(WebhookEvent webhookEvent)
    {
        ArgumentNullException.ThrowIfNull(webhookEvent);
        if (webhookEvent.Payload.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (webhookEvent.EventType.StartsWith("message.", StringComparison.Ordinal))
        {
            return Read(webhookEvent.Payload, "id") is { } id ? $"message:{id}" : null;
        }

        if (webhookEvent.EventType.StartsWith("call.", StringComparison.Ordinal))
        {
            return (Read(webhookEvent.Payload, "call_session_id") ?? Read(webhookEvent.Payload, "call_control_id")) is { } id
                ? $"call:{id}"
                : null;
        }

        return null;
    }

    /// <summary>
    /// Breaks ties between events with the same <c>occurred_at</c>: a later lifecycle stage wins
    /// (sent &lt; delivered/failed &lt; finalized; initiated &lt; answered &lt; hangup).
    /// </summary>
    public static int LifecycleRank(string eventType) => eventType switch
    {
        EventTypes.MessageSent or EventTypes.MessageReceived or EventTypes.CallInitiated => 1,
        EventTypes.MessageDelivered or EventTypes.MessageFailed or EventTypes.CallAnswered => 2,
        EventTypes.CallRecordingSaved => 3,
        EventTypes.MessageFinalized or EventTypes.CallHangup => 4,
        _ => 0,
    };

    private static string? Read(JsonElement payload, string name) =>
        payload.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

/// <summary>The durable ordering helper on the receiver's database (SQLite or PostgreSQL).</summary>
internal sealed class StoredEventOrdering(Storage.ReceiverStorage storage) : IEventOrdering
{
    public Task<bool> TryAdvanceAsync(WebhookEvent webhookEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(webhookEvent);
        return ResourceKeys.For(webhookEvent) is { } resource
            ? storage.TryAdvanceAsync(resource, webhookEvent.OccurredAt, ResourceKeys.LifecycleRank(webhookEvent.EventType), webhookEvent.Id, cancellationToken)
            : Task.FromResult(true);
    }
}
