namespace Switchboard.Receiver;

/// <summary>
/// A webhook handler as a class, resolved from dependency injection in a scope of its own for each run (so it gets
/// constructor injection). Register it with <see cref="TelnyxWebhooksBuilder.On{TPayload, THandler}(string)"/>.
/// </summary>
/// <typeparam name="TPayload">The event's payload, e.g. <see cref="Switchboard.Events.MessagePayload"/>.</typeparam>
public interface ITelnyxWebhookHandler<in TPayload>
    where TPayload : class
{
    /// <summary>Handles one event. Throwing makes it retried later (with backoff), without rerunning the other handlers that completed.</summary>
    Task HandleAsync(TPayload payload, WebhookContext context, CancellationToken cancellationToken);
}

/// <summary>
/// A webhook handler that takes the event untyped (<see cref="WebhookContext.Event"/>), resolved from dependency injection like
/// <see cref="ITelnyxWebhookHandler{TPayload}"/>. Register it with <see cref="TelnyxWebhooksBuilder.On{THandler}(string)"/>,
/// <see cref="TelnyxWebhooksBuilder.OnAny{THandler}()"/> or <see cref="TelnyxWebhooksBuilder.OnUnknown{THandler}()"/>.
/// </summary>
public interface ITelnyxWebhookHandler
{
    /// <inheritdoc cref="ITelnyxWebhookHandler{TPayload}.HandleAsync"/>
    Task HandleAsync(WebhookContext context, CancellationToken cancellationToken);
}
