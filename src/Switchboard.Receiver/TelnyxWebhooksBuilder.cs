using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Switchboard.Events;
using Switchboard.Receiver.Handlers;

namespace Switchboard.Receiver;

/// <summary>
/// Registers webhook handlers: per event type with a typed payload, for any event, or for unknown types; as delegates or
/// as classes resolved from dependency injection.
/// </summary>
/// <remarks>
/// A handler's name is its identity in the records that stop it from running twice for an event, across restarts and
/// deploys: a delegate is given one; a class handler's is its type's full name unless given one. Two handlers that can run
/// for the same event cannot share a name: registering the second one throws.
/// </remarks>
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
    /// </summary>
    /// <param name="name">The handler's identity across restarts and deploys (see <see cref="TelnyxWebhooksBuilder"/>).</param>
    public TelnyxWebhooksBuilder On<TPayload>(string eventType, string name, Func<TPayload, WebhookContext, CancellationToken, Task> handler)
        where TPayload : class
    {
        ArgumentNullException.ThrowIfNull(handler);
        CheckPayloadType<TPayload>(eventType);
        Registry.Add(HandlerKind.EventType, eventType, name, (context, cancellation) => handler(PayloadOf<TPayload>(context), context, cancellation));
        return this;
    }

    /// <summary>Runs <paramref name="handler"/> for every <paramref name="eventType"/> event, untyped.</summary>
    /// <param name="name">The handler's identity across restarts and deploys (see <see cref="TelnyxWebhooksBuilder"/>).</param>
    public TelnyxWebhooksBuilder On(string eventType, string name, Func<WebhookContext, CancellationToken, Task> handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventType);
        ArgumentNullException.ThrowIfNull(handler);
        Registry.Add(HandlerKind.EventType, eventType, name, handler);
        return this;
    }

    /// <summary>Runs <paramref name="handler"/> for every verified event, known or not.</summary>
    /// <param name="name">The handler's identity across restarts and deploys (see <see cref="TelnyxWebhooksBuilder"/>).</param>
    public TelnyxWebhooksBuilder OnAny(string name, Func<WebhookContext, CancellationToken, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Registry.Add(HandlerKind.Any, null, name, handler);
        return this;
    }

    /// <summary>Runs <paramref name="handler"/> for event types this library does not know.</summary>
    /// <param name="name">The handler's identity across restarts and deploys (see <see cref="TelnyxWebhooksBuilder"/>).</param>
    public TelnyxWebhooksBuilder OnUnknown(string name, Func<WebhookContext, CancellationToken, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Registry.Add(HandlerKind.Unknown, null, name, handler);
        return this;
    }

    /// <summary>
    /// Runs <typeparamref name="THandler"/>, resolved from dependency injection in a scope of its own (registered as scoped
    /// unless you registered it), for every <paramref name="eventType"/> event with its payload as <typeparamref name="TPayload"/>.
    /// Its name is the full name of <typeparamref name="THandler"/>.
    /// </summary>
    public TelnyxWebhooksBuilder On<TPayload, THandler>(string eventType)
        where TPayload : class
        where THandler : class, ITelnyxWebhookHandler<TPayload> => On<TPayload, THandler>(eventType, NameOf<THandler>());

    /// <inheritdoc cref="On{TPayload, THandler}(string)"/>
    /// <param name="name">The handler's identity across restarts and deploys (see <see cref="TelnyxWebhooksBuilder"/>).</param>
    public TelnyxWebhooksBuilder On<TPayload, THandler>(string eventType, string name)
        where TPayload : class
        where THandler : class, ITelnyxWebhookHandler<TPayload>
    {
        CheckPayloadType<TPayload>(eventType);
        Services.TryAddScoped<THandler>();
        Registry.Add(HandlerKind.EventType, eventType, name, (context, cancellation) =>
            context.Services.GetRequiredService<THandler>().HandleAsync(PayloadOf<TPayload>(context), context, cancellation));
        return this;
    }

    /// <summary>
    /// Runs <typeparamref name="THandler"/> (resolved like <see cref="On{TPayload, THandler}(string)"/>) for every
    /// <paramref name="eventType"/> event, untyped. Its name is the full name of <typeparamref name="THandler"/>.
    /// </summary>
    public TelnyxWebhooksBuilder On<THandler>(string eventType)
        where THandler : class, ITelnyxWebhookHandler => On<THandler>(eventType, NameOf<THandler>());

    /// <inheritdoc cref="On{THandler}(string)"/>
    /// <param name="name">The handler's identity across restarts and deploys (see <see cref="TelnyxWebhooksBuilder"/>).</param>
    public TelnyxWebhooksBuilder On<THandler>(string eventType, string name)
        where THandler : class, ITelnyxWebhookHandler
    {
        ArgumentException.ThrowIfNullOrEmpty(eventType);
        return AddClass<THandler>(HandlerKind.EventType, eventType, name);
    }

    /// <summary>
    /// Runs <typeparamref name="THandler"/> (resolved like <see cref="On{TPayload, THandler}(string)"/>) for every verified
    /// event, known or not. Its name is the full name of <typeparamref name="THandler"/>.
    /// </summary>
    public TelnyxWebhooksBuilder OnAny<THandler>()
        where THandler : class, ITelnyxWebhookHandler => OnAny<THandler>(NameOf<THandler>());

    /// <inheritdoc cref="OnAny{THandler}()"/>
    /// <param name="name">The handler's identity across restarts and deploys (see <see cref="TelnyxWebhooksBuilder"/>).</param>
    public TelnyxWebhooksBuilder OnAny<THandler>(string name)
        where THandler : class, ITelnyxWebhookHandler => AddClass<THandler>(HandlerKind.Any, null, name);

    /// <summary>
    /// Runs <typeparamref name="THandler"/> (resolved like <see cref="On{TPayload, THandler}(string)"/>) for event types this
    /// library does not know. Its name is the full name of <typeparamref name="THandler"/>.
    /// </summary>
    public TelnyxWebhooksBuilder OnUnknown<THandler>()
        where THandler : class, ITelnyxWebhookHandler => OnUnknown<THandler>(NameOf<THandler>());

    /// <inheritdoc cref="OnUnknown{THandler}()"/>
    /// <param name="name">The handler's identity across restarts and deploys (see <see cref="TelnyxWebhooksBuilder"/>).</param>
    public TelnyxWebhooksBuilder OnUnknown<THandler>(string name)
        where THandler : class, ITelnyxWebhookHandler => AddClass<THandler>(HandlerKind.Unknown, null, name);

    private TelnyxWebhooksBuilder AddClass<THandler>(HandlerKind kind, string? eventType, string name)
        where THandler : class, ITelnyxWebhookHandler
    {
        Services.TryAddScoped<THandler>();
        Registry.Add(kind, eventType, name, (context, cancellation) =>
            context.Services.GetRequiredService<THandler>().HandleAsync(context, cancellation));
        return this;
    }

    private static string NameOf<THandler>() => typeof(THandler).FullName ?? typeof(THandler).Name;

    private static void CheckPayloadType<TPayload>(string eventType)
        where TPayload : class
    {
        ArgumentException.ThrowIfNullOrEmpty(eventType);
        var expected = EventTypes.PayloadTypeOf(eventType);
        if (expected is not null && !typeof(TPayload).IsAssignableFrom(expected))
        {
            throw new ArgumentException($"'{eventType}' carries a {expected.Name}, not a {typeof(TPayload).Name}", nameof(TPayload));
        }

        _ = EventJson.TypeInfo<TPayload>(); // fails now, not at the first webhook, for a type outside the model
    }

    private static TPayload PayloadOf<TPayload>(WebhookContext context)
        where TPayload : class =>
        context.Event.GetPayload<TPayload>() ?? throw new InvalidOperationException($"event {context.Event.Id} has no payload object");
}
