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
        var inFlight = new InFlight(_options.MaxConcurrency);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var wake = _outbox.Signal.WaitAsync();
                var free = await inFlight.WaitForFreeSlotsAsync(_options.ClaimBatchSize, stoppingToken);
                IReadOnlyList<ClaimedWorkItem> claimed;
                try
                {
                    claimed = await _store.ClaimAsync(_options.QueueName, _workerId, free, _options.LeaseDuration, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    inFlight.Return(free);
                    _logger.LogWarning(ex, "Claiming due deliveries failed; trying again shortly");
                    await Task.Delay(_options.PollInterval, _time, stoppingToken);
                    continue;
                }

                inFlight.Return(free - claimed.Count);
                var startedAt = _time.GetUtcNow();
                foreach (var item in claimed)
                {
                    _metrics.RecordLag(startedAt - item.DueAt);
                    _ = AttemptAsync(item, inFlight, completions.Writer, stoppingToken);
                }

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
            await inFlight.WaitForAllAsync();
            completions.Writer.TryComplete();
            await recorder;
            await depth.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private async Task AttemptAsync(ClaimedWorkItem item, InFlight inFlight, ChannelWriter<WorkCompletion> completions, CancellationToken stoppingToken)
    {
        try
        {
            WorkCompletion completion;
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
                return;
            }

            completions.TryWrite(completion);
        }
        finally
        {
            inFlight.Return(1);
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

    /// <summary>Counts attempts in flight against the concurrency limit, and lets the loop wait for free slots or for zero.</summary>
    private sealed class InFlight(int limit)
    {
        private readonly SemaphoreSlim _free = new(limit, limit);
        private int _busy;

        /// <summary>Waits for one free slot, then takes as many more as are free, up to <paramref name="max"/>.</summary>
        public async Task<int> WaitForFreeSlotsAsync(int max, CancellationToken cancellationToken)
        {
            await _free.WaitAsync(cancellationToken);
            var taken = 1;
            while (taken < max && _free.Wait(0))
            {
                taken++;
            }

            Interlocked.Add(ref _busy, taken);
            return taken;
        }

        public void Return(int count)
        {
            if (count <= 0)
            {
                return;
            }

            _free.Release(count);
            Interlocked.Add(ref _busy, -count);
        }

        public async Task WaitForAllAsync()
        {
            while (Volatile.Read(ref _busy) > 0)
            {
                await Task.Delay(10);
            }
        }
    }
}
