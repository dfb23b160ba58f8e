using Switchboard.DurableWork;

namespace Switchboard.Delivery.Outbox;

/// <summary>Settings of the outbox and its dispatcher, with the defaults documented on each.</summary>
public sealed class DeliveryOptions
{
    /// <summary>Attempt times. Default: <see cref="DeliverySchedule.Default"/> (<c>0s,1m,5m,15m,1h</c>).</summary>
    public DeliverySchedule Schedule { get; set; } = DeliverySchedule.Default;

    /// <summary>
    /// The work queue the deliveries live in. Default <c>webhook-deliveries</c>, the one <c>AddWebhookDelivery</c> works
    /// (another name is for an outbox built by hand).
    /// </summary>
    public string QueueName { get; set; } = DefaultQueueName;

    internal const string DefaultQueueName = "webhook-deliveries";

    /// <summary>Most deliveries claimed in one go. Default 256.</summary>
    public int ClaimBatchSize { get; set; } = 256;

    /// <summary>Most requests one dispatcher has in flight at once, to all targets together. Default 128.</summary>
    public int MaxConcurrency { get; set; } = 128;

    /// <summary>
    /// Most requests one dispatcher has in flight at once to one target, the origin (scheme, host, port) of the URL
    /// requested, so that a target that hangs holds only its share of <see cref="MaxConcurrency"/>. Between 1 and
    /// <see cref="MaxConcurrency"/>. Default (null): a quarter of <see cref="MaxConcurrency"/> (32 of 128), so a
    /// message whose URL and failover both hang holds half, and one busy target still has the 32 requests in flight it
    /// needs for its throughput (16 cost a one-target flood about a tenth; docs/benchmarks.md).
    /// </summary>
    public int? MaxConcurrencyPerTarget { get; set; }

    /// <summary>The per-target limit in force: <see cref="MaxConcurrencyPerTarget"/>, or its default.</summary>
    internal int PerTargetLimit => MaxConcurrencyPerTarget ?? Math.Max(1, MaxConcurrency / 4);

    /// <summary>
    /// A target with every slot taken and no request finished for this long is stalled: a delivery whose attempt would
    /// start there is given back and put off, instead of waiting in the dispatcher. 500 ms.
    /// </summary>
    internal TimeSpan TargetStallAfter { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest wait between looks for due work when nothing signals it. Default 1 s.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the queue depth gauge is refreshed from the store. Default 10 s.</summary>
    public TimeSpan QueueDepthRefresh { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How many of a delivery's newest attempts keep their requests in its log; older ones are deleted as new ones are
    /// logged, so a delivery redelivered again and again keeps a bounded log (<see cref="WebhookDelivery.AttemptCount"/>
    /// still counts every attempt). Default 50.
    /// </summary>
    public int AttemptLogLimit { get; set; } = 50;

    /// <summary>How long delivered and failed records are kept. Default 30 days, pruned hourly.</summary>
    public RetentionOptions Retention { get; set; } = new();

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Schedule);
        ArgumentException.ThrowIfNullOrWhiteSpace(QueueName);
        ArgumentNullException.ThrowIfNull(Retention);
        if (PollInterval <= TimeSpan.Zero || QueueDepthRefresh <= TimeSpan.Zero)
        {
            throw new ArgumentException("PollInterval and QueueDepthRefresh must be longer than zero");
        }

        if (ClaimBatchSize < 1 || MaxConcurrency < 1 || AttemptLogLimit < 1)
        {
            throw new ArgumentException("ClaimBatchSize, MaxConcurrency and AttemptLogLimit must be at least 1");
        }

        if (MaxConcurrencyPerTarget is < 1 || MaxConcurrencyPerTarget > MaxConcurrency)
        {
            throw new ArgumentException($"MaxConcurrencyPerTarget must be between 1 and MaxConcurrency ({MaxConcurrency})");
        }

        if (TargetStallAfter <= TimeSpan.Zero)
        {
            throw new ArgumentException("TargetStallAfter must be longer than zero");
        }
    }
}
