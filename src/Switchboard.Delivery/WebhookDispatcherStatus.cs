using Switchboard.Delivery.Outbox;

namespace Switchboard.Delivery;

/// <summary>Whether the dispatcher that <c>AddWebhookDelivery</c> runs in this process has stopped on its own; for health checks.</summary>
public sealed class WebhookDispatcherStatus
{
    internal DeliveryDispatcher? Dispatcher { get; set; }

    /// <summary>True when this process runs the dispatcher and it has stopped (a failure it could not survive, or the host stopping).</summary>
    public bool HasStopped => Dispatcher?.ExecuteTask is { IsCompleted: true };

    /// <summary>What stopped it, when it failed.</summary>
    public Exception? Failure => Dispatcher?.ExecuteTask?.Exception;
}
