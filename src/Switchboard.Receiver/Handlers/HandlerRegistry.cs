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
}

/// <summary>The handlers registered with <see cref="TelnyxWebhooksBuilder"/>, looked up by event type.</summary>
internal sealed class HandlerRegistry
{
    private readonly List<HandlerRegistration> _handlers = [];

    public IReadOnlyList<HandlerRegistration> All => _handlers;

    public void Add(HandlerKind kind, string? eventType, string? name, Func<WebhookContext, CancellationToken, Task> invoke)
    {
        var index = _handlers.Count(h => h.Kind == kind && h.EventType == eventType) + 1;
        name ??= kind switch
        {
            HandlerKind.EventType => $"{eventType}#{index}",
            HandlerKind.Any => $"any#{index}",
            _ => $"unknown#{index}",
        };
        if (_handlers.Any(h => h.Name == name))
        {
            throw new ArgumentException($"a webhook handler named '{name}' is already registered", nameof(name));
        }

        _handlers.Add(new HandlerRegistration(name, kind, eventType, invoke));
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

    public HandlerRegistration? Find(string name) => _handlers.Find(h => h.Name == name);
}
