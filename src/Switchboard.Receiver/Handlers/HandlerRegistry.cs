using Switchboard.Events;
using Switchboard.Receiver.Storage;

namespace Switchboard.Receiver.Handlers;

internal enum HandlerKind
{
    /// <summary>Runs for one event type.</summary>
    EventType,
    /// <summary>Runs for every event.</summary>
    Any,
    /// <summary>Runs for event types this version does not know (<c>call.speak.ended</c>, ...).</summary>
    Unknown,
}

/// <summary>One registered handler. Its <see cref="Name"/> is the key under which its completion is stored.</summary>
internal sealed record HandlerRegistration(string Name, HandlerKind Kind, string? EventType, Func<WebhookContext, CancellationToken, Task> Invoke)
{
    /// <summary>The attempt log entry of a run that completed: the same text every time, so written once.</summary>
    public string CompletedDetail { get; } = new HandlerRunDetail(Name, true).ToJson();

    /// <summary>Whether both can run for one event (then they must not share a name: they would share a completion record).</summary>
    public bool CanRunWith(HandlerRegistration other) =>
        Kind != HandlerKind.EventType || other.Kind != HandlerKind.EventType || EventType == other.EventType;
}

/// <summary>The handlers registered with <see cref="TelnyxWebhooksBuilder"/>, looked up by event type.</summary>
internal sealed class HandlerRegistry
{
    /// <summary>The longest handler name: it is stored in every completion record.</summary>
    public const int MaxNameLength = 200;

    private readonly List<HandlerRegistration> _handlers = [];

    public IReadOnlyList<HandlerRegistration> All => _handlers;

    /// <summary>
    /// Adds a handler under <paramref name="name"/>, its identity in the records that stop it from running twice for an
    /// event: it must stay the same across deploys. Two handlers that can run for the same event cannot share a name.
    /// </summary>
    public void Add(HandlerKind kind, string? eventType, string name, Func<WebhookContext, CancellationToken, Task> invoke)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.Length > MaxNameLength)
        {
            throw new ArgumentException($"a webhook handler name is at most {MaxNameLength} characters; '{name[..40]}...' has {name.Length}", nameof(name));
        }

        var registration = new HandlerRegistration(name, kind, eventType, invoke);
        if (_handlers.Find(h => h.Name == name && h.CanRunWith(registration)) is { } existing)
        {
            throw new ArgumentException(
                $"a webhook handler named '{name}' is already registered ({Describe(existing)}); a handler's name is its identity " +
                "in the records that stop it from running twice, so give each handler a name of its own", nameof(name));
        }

        _handlers.Add(registration);
    }

    /// <summary>The handlers that run for an event of this type, in registration order.</summary>
    public IEnumerable<HandlerRegistration> For(string eventType)
    {
        var known = EventTypes.IsKnown(eventType);
        foreach (var handler in _handlers)
        {
            var matches = handler.Kind switch
            {
                HandlerKind.EventType => handler.EventType == eventType,
                HandlerKind.Any => true,
                _ => !known,
            };
            if (matches)
            {
                yield return handler;
            }
        }
    }

    private static string Describe(HandlerRegistration handler) => handler.Kind switch
    {
        HandlerKind.EventType => $"for {handler.EventType}",
        HandlerKind.Any => "for any event",
        _ => "for unknown event types",
    };
}
