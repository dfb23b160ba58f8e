using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Switchboard.Delivery.Http;
using Switchboard.DurableWork;

namespace Switchboard.Delivery.Outbox;

/// <summary>
/// The hosted loop that delivers the outbox: claims due deliveries in batches (leased to this dispatcher),
/// attempts them with bounded concurrency, and records the results in batches. Holds no lock or connection
/// during HTTP. Several dispatchers, in one process or many, can share one PostgreSQL store.
/// </summary>
public sealed class DeliveryDispatcher : BackgroundService
{
    private const int MaxCompletionsPerWrite = 512;

    private readonly WebhookOutbox _outbox;
    private readonly DeliveryOptions _options;
    private readonly IWorkStore _store;
    private readonly TimeProvider _time;
    private readonly DeliveryAttemptRunner _runner;
    private readonly DeliveryMetrics _metrics;
    private readonly ILogger _logger;
    private readonly string _workerId;

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
        _runner = new DeliveryAttemptRunner(sender, signers, _options, _time);
        _metrics = new DeliveryMetrics(meterFactory);
        _logger = logger ?? NullLogger<DeliveryDispatcher>.Instance;
        _workerId = _options.WorkerId ?? $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";
    }

    /// <summary>
    /// Attempts everything due now, one batch after another, until nothing is due; returns how many attempts
    /// were made. The loop's steps without the waiting: for tests on a fake clock and for one-shot runs.
    /// </summary>
    internal async Task<int> RunDueAsync(CancellationToken cancellationToken = default)
    {
        var total = 0;
        using var slots = new SemaphoreSlim(_options.MaxConcurrency);
        while (true)
        {
            var claimed = await _store.ClaimAsync(_options.QueueName, _workerId, _options.ClaimBatchSize, _options.LeaseDuration, cancellationToken);
            if (claimed.Count == 0)
            {
                return total;
            }

            var completions = await Task.WhenAll(claimed.Select(async item =>
            {
                await slots.WaitAsync(cancellationToken);
                try
                {
                    _metrics.RecordLag(_time.GetUtcNow() - item.DueAt);
                    return await _runner.RunAsync(item, cancellationToken);
                }
                finally
                {
                    slots.Release();
                }
            }));
            await _store.CompleteAsync(completions, cancellationToken);
            total += claimed.Count;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var completions = Channel.CreateUnbounded<WorkCompletion>(new UnboundedChannelOptions { SingleReader = true });
        var recorder = RecordAsync(completions.Reader);
        var depth = RefreshQueueDepthAsync(stoppingToken);
        // Claimed deliveries wait here for a free worker: claims run ahead of the attempts (a batch at a time)
        // instead of one claim per free slot, and the outbox hands freshly published deliveries over here too.
        var batch = Math.Max(_options.ClaimBatchSize, _options.MaxConcurrency);
        var ready = new ReadyDeliveries(_workerId, capacity: batch * 4, refillAt: batch, this);
        var workers = Enumerable.Range(0, _options.MaxConcurrency).Select(_ => WorkAsync(ready, completions.Writer, stoppingToken)).ToArray();
        _outbox.Attach(ready);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var wake = _outbox.Signal.WaitAsync();
                var room = ready.WaitForRoomAsync();
                if (ready.Count > batch)
                {
                    await room.WaitAsync(stoppingToken);
                    continue;
                }

                IReadOnlyList<ClaimedWorkItem> claimed;
                try
                {
                    claimed = await _store.ClaimAsync(_options.QueueName, _workerId, batch, _options.LeaseDuration, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    _logger.LogWarning(ex, "Claiming due deliveries failed; trying again shortly");
                    await Task.Delay(_options.PollInterval, _time, stoppingToken);
                    continue;
                }

                ready.Add(claimed);
                if (claimed.Count == 0)
                {
                    await WaitForWorkAsync(wake, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            _outbox.Detach(ready);
            ready.Close();
            await Task.WhenAll(workers);
            completions.Writer.TryComplete();
            await recorder;
            await depth.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>One of <see cref="DeliveryOptions.MaxConcurrency"/> workers: attempts ready deliveries one at a time until the dispatcher stops.</summary>
    private async Task WorkAsync(ReadyDeliveries ready, ChannelWriter<WorkCompletion> completions, CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (await ready.TakeAsync() is { } item)
        {
            var now = _time.GetUtcNow();
            WorkCompletion completion;
            if (stoppingToken.IsCancellationRequested || item.LeaseExpiresAt - now < _options.LeaseDuration / 2)
            {
                // Stopping, or waited so long that the lease may run out mid-attempt: give it back to be claimed afresh.
                completion = WorkCompletion.Release(item.Lease, now);
            }
            else
            {
                _metrics.RecordLag(now - item.DueAt);
                try
                {
                    completion = await _runner.RunAsync(item, stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    // Shutting down mid-attempt: hand the delivery back so another dispatcher need not wait for the lease.
                    completion = WorkCompletion.Release(item.Lease, _time.GetUtcNow());
                }
                catch (Exception ex)
                {
                    _logger.LogError(ex, "Attempting delivery {EventId} failed unexpectedly; it is retried when its lease expires", item.Key);
                    continue;
                }
            }

            completions.TryWrite(completion);
        }
    }

    /// <summary>Gives back deliveries that were leased to this dispatcher but will not be attempted by it (it stopped).</summary>
    internal async Task ReleaseAsync(IReadOnlyList<ClaimedWorkItem> items)
    {
        try
        {
            var now = _time.GetUtcNow();
            await _store.CompleteAsync([.. items.Select(i => WorkCompletion.Release(i.Lease, now))], CancellationToken.None);
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Giving back {Count} deliveries failed; they are attempted when their leases expire", items.Count);
        }
    }

    /// <summary>Writes results in batches; drains what is queued even while stopping.</summary>
    private async Task RecordAsync(ChannelReader<WorkCompletion> reader)
    {
        var batch = new List<WorkCompletion>(MaxCompletionsPerWrite);
        while (await reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxCompletionsPerWrite && reader.TryRead(out var completion))
            {
                batch.Add(completion);
            }

            try
            {
                var recorded = await _store.CompleteAsync(batch, CancellationToken.None);
                var stale = recorded.Count(r => !r);
                if (stale > 0)
                {
                    _logger.LogWarning("{Count} delivery results were dropped: their leases had been taken over by another dispatcher", stale);
                }
            }
            catch (Exception ex)
            {
                // The deliveries stay leased; once the leases expire they are attempted again (at-least-once).
                _logger.LogError(ex, "Recording {Count} delivery results failed", batch.Count);
            }
        }
    }

    private async Task WaitForWorkAsync(Task wake, CancellationToken stoppingToken)
    {
        var wait = _options.PollInterval;
        try
        {
            if (await _store.NextDueAtAsync(_options.QueueName, stoppingToken) is { } next)
            {
                var untilDue = next - _time.GetUtcNow();
                // Due already but nothing claimed: another dispatcher holds it right now; look again soon.
                wait = untilDue <= TimeSpan.Zero ? TimeSpan.FromMilliseconds(50) : untilDue < wait ? untilDue : wait;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.LogWarning(ex, "Reading the next due time failed");
        }

        await Task.WhenAny(wake, Task.Delay(wait, _time, stoppingToken));
        stoppingToken.ThrowIfCancellationRequested();
    }

    private async Task RefreshQueueDepthAsync(CancellationToken stoppingToken)
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

    public override void Dispose()
    {
        _metrics.Dispose();
        base.Dispose();
    }
}
