using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Switchboard.Delivery.Http;
using Switchboard.DurableWork;

namespace Switchboard.Delivery.Outbox;

/// <summary>
/// Delivers the outbox: the handler of the outbox's queue on the shared <see cref="WorkQueueWorker"/> (which
/// <c>AddWebhookDelivery</c> runs with <c>AddWorkQueue</c>), which claims due deliveries in batches (leased to this process),
/// attempts them here with bounded concurrency, and records the results in batches. Holds no lock or connection
/// during HTTP. Several dispatchers, in one process or many, can share one PostgreSQL store.
/// The worker's slots are the deliveries in hand, <see cref="ItemsInHandPerSlot"/> per request slot: requests are bounded
/// by <see cref="TargetSlots"/> (in all and per target), so a delivery waiting for its busy target holds a worker but
/// no slot, and there are workers to spare for the other targets' deliveries.
/// </summary>
internal sealed class DeliveryDispatcher : IWorkHandler, IDisposable
{
    private const int ItemsInHandPerSlot = 4;

    private readonly WebhookOutbox _outbox;
    private readonly DeliveryOptions _options;
    private readonly IWorkStore _store;
    private readonly TimeProvider _time;
    private readonly TargetSlots _slots;
    private readonly DeliveryAttemptRunner _runner;
    private readonly DeliveryMetrics _metrics;
    private readonly ILogger _logger;

    public DeliveryDispatcher(
        WebhookOutbox outbox,
        IWebhookSender sender,
        IWebhookSignerResolver signers,
        IMeterFactory? meterFactory = null,
        ILogger<DeliveryDispatcher>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(outbox);
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(signers);
        _outbox = outbox;
        _options = outbox.Options;
        _store = outbox.Store;
        _time = outbox.Time;
        _slots = new TargetSlots(_options, _time);
        _runner = new DeliveryAttemptRunner(sender, signers, _options, _time, _slots);
        _metrics = new DeliveryMetrics(meterFactory);
        _logger = logger ?? NullLogger<DeliveryDispatcher>.Instance;
    }

    /// <summary>How the worker of the outbox's queue runs for this dispatcher: its slots are the deliveries in hand.</summary>
    internal static WorkQueueWorkerOptions WorkerOptions(DeliveryOptions options) => new()
    {
        Concurrency = options.MaxConcurrency * ItemsInHandPerSlot,
        ClaimBatchSize = options.ClaimBatchSize,
        PollInterval = options.PollInterval,
    };

    /// <summary>A worker of the outbox's queue with this dispatcher as its handler, for a process that runs it by hand (tests, load harnesses).</summary>
    internal WorkQueueWorker NewWorker() => new(_outbox.Queue, this, WorkerOptions(_options), _time, _logger);

    Task<WorkCompletion> IWorkHandler.HandleAsync(ClaimedWorkItem item, CancellationToken stoppingToken) => AttemptAsync(item, stoppingToken);

    private Task<WorkCompletion> AttemptAsync(ClaimedWorkItem item, CancellationToken stoppingToken)
    {
        _metrics.RecordLag(_time.GetUtcNow() - item.DueAt);
        return _runner.RunAsync(item, stoppingToken);
    }

    /// <summary>Keeps the queue-depth gauge current until <paramref name="stoppingToken"/> fires.</summary>
    internal async Task RefreshQueueDepthAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.QueueDepthRefresh, _time);
        do
        {
            try
            {
                _metrics.SetQueueDepth(await _store.CountPendingAsync(_options.QueueName, stoppingToken));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _logger.LogDebug(ex, "Counting pending deliveries failed");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public void Dispose()
    {
        _metrics.Dispose();
        _slots.Dispose();
    }
}
