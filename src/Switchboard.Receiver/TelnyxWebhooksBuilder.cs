using Microsoft.Extensions.DependencyInjection;
using Switchboard.Events;
using Switchboard.Receiver.Handlers;

namespace Switchboard.Receiver;

/// <summary>Registers webhook handlers: per event type with a typed payload, for any event, or for unknown types.</summary>
public sealed class TelnyxWebhooksBuilder
{
    internal TelnyxWebhooksBuilder(IServiceCollection services, HandlerRegistry registry)
    {
        Services = services;
        Registry = registry;
    }

    public IServiceCollection Services { get; }

    internal HandlerRegistry Registry { get; }

    /// <summary>
    /// Runs <paramref name="handler"/> for every <paramref name="eventType"/> event with its payload as
    /// <typeparamref name="TPayload"/> (e.g. <see cref="MessagePayload"/> for <c>message.received</c>).
    /// <paramref name="name"/> identifies the handler across restarts; by default the event type and its position.
    /// </summary>
    public TelnyxWebhooksBuilder On<TPayload>(string eventType, Func<TPayload, WebhookContext, CancellationToken, Task> handler, string? name = null)
        where TPayload : class
    {
        ArgumentException.ThrowIfNullOrEmpty(eventType);
        ArgumentNullException.ThrowIfNull(handler);
        var expected = EventTypes.PayloadTypeOf(eventType);
        if (expected is not null && !typeof(TPayload).IsAssignableFrom(expected))
        {
            throw new ArgumentException($"'{eventType}' carries a {expected.Name}, not a {typeof(TPayload).Name}", nameof(handler));
        }

        _ = EventsJsonContext.TypeInfo<TPayload>(); // fails now, not at the first webhook, for a type outside the model
        Registry.Add(HandlerKind.EventType, eventType, name, (context, cancellation) =>
            handler(context.Event.GetPayload<TPayload>() ?? throw new InvalidOperationException($"event {context.Event.Id} has no payload object"), context, cancellation));
        return this;
    }

    /// <summary>Runs <paramref name="handler"/> for every <paramref name="eventType"/> event, untyped.</summary>
    public TelnyxWebhooksBuilder On(string eventType, Func<WebhookContext, CancellationToken, Task> handler, string? name = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventType);
        ArgumentNullException.ThrowIfNull(handler);
        Registry.Add(HandlerKind.EventType, eventType, name, handler);
        return this;
    }

    /// <summary>Runs <paramref name="handler"/> for every verified event, known or not.</summary>
    public TelnyxWebhooksBuilder OnAny(Func<WebhookContext, CancellationToken, Task> handler, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Registry.Add(HandlerKind.Any, null, name, handler);
        return this;
    }

    /// <summary>Runs <paramref name="handler"/> for event types this library does not know.</summary>
    public TelnyxWebhooksBuilder OnUnknown(Func<WebhookContext, CancellationToken, Task> handler, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Registry.Add(HandlerKind.Unknown, null, name, handler);
        return this;
    }
}
