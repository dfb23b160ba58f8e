using Switchboard.DurableWork;

namespace Switchboard.Delivery;

/// <summary>Whether the dispatcher that <c>AddWebhookDelivery</c> runs in this process has stopped on its own; for health checks.</summary>
public sealed class WebhookDispatcherStatus
{
    /// <summary>The worker of the deliveries' queue, which runs the dispatcher.</summary>
    internal WorkQueueWorkerStatus? Worker { get; init; }

    /// <summary>True when this process runs the dispatcher and it has stopped (a failure it could not survive, or the host stopping).</summary>
    public bool HasStopped => Worker?.HasStopped ?? false;

    /// <summary>What stopped it, when it failed.</summary>
    public Exception? Failure => Worker?.Failure;
}
