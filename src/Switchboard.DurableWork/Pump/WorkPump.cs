using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Switchboard.DurableWork.Pump;

/// <summary>
/// Works one claimed item and says what became of it. Throwing a transient store error (<see cref="TransientStoreErrors"/>)
/// means the database was briefly unavailable: the pump runs the item again, still leased to it, as soon as the database
/// answers. Throwing anything else is a bug of the handler: the error is logged and the item given back, due again after
/// <see cref="WorkPump.AfterUnexpectedFailure"/>, with no attempt counted.
/// </summary>
internal delegate Task<WorkCompletion> WorkItemHandler(ClaimedWorkItem item, CancellationToken stoppingToken);

/// <summary>How a <see cref="WorkPump"/> works its queue.</summary>
internal sealed record WorkPumpOptions
{
    public required string Queue { get; init; }

    /// <summary>How many items are worked at once.</summary>
    public int Concurrency { get; init; } = 8;

    /// <summary>How many due items one claim takes.</summary>
    public int ClaimBatchSize { get; init; } = 64;

    /// <summary>The longest wait between two looks for due items when nothing signals new work.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Queue);
        ArgumentOutOfRangeException.ThrowIfLessThan(Concurrency, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ClaimBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(PollInterval, TimeSpan.Zero);
    }
}

/// <summary>
/// Works the items of one queue in this process, the one loop the delivery dispatcher and the webhook handler runner
/// share: claims due items in batches (leased to this pump), runs them with bounded concurrency, and records the
/// results in batches. Items enqueued through <see cref="EnqueueAsync(IReadOnlyList{NewWorkItem}, CancellationToken)"/>
/// while the pump runs and keeps up are stored already leased to it and handed over in memory: no claim, no polling, and
/// the same durability (the rows and their leases commit first; should the process die, the items are due again when it
/// restarts, or when another worker takes them over). An item with an ordering key that finishes lets the next one of
/// its key start: the pump looks for it at once.
/// </summary>
internal sealed partial class WorkPump
{
    private const int MaxCompletionsPerWrite = 512;

    /// <summary>How long an item whose handler threw waits before it is worked again.</summary>
    public static readonly TimeSpan AfterUnexpectedFailure = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan FirstRecordRetry = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LongestRecordRetry = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The longest pause between two tries of an item or a write that failed on a transient store error: what waits is
    /// done within this of the database answering again.
    /// </summary>
    internal static readonly TimeSpan LongestTransientRetry = TimeSpan.FromSeconds(1);

    /// <summary>Tries to record a batch once the pump is stopping; after that its items are left to the next start.</summary>
    private const int RecordTriesWhileStopping = 3;

    private readonly IWorkStore _store;
    private readonly WorkPumpOptions _options;
    private readonly WorkItemHandler _handler;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly WorkSignal _signal = new();
    private ReadyQueue? _ready;

    public WorkPump(IWorkStore store, WorkPumpOptions options, WorkItemHandler handler, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(handler);
        options.Validate();
        _store = store;
        _options = options;
        _handler = handler;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    public string Queue => _options.Queue;

    /// <summary>Work may be due now (stored or requeued elsewhere in this process): look without waiting for the next poll.</summary>
    public void Notify() => _signal.Notify();

    /// <summary>
    /// Enqueues items; each result says whether its key was new. While the pump runs and has room, items that may start
    /// now are stored leased to it and handed over in memory; otherwise they are stored due and the pump is woken.
    /// </summary>
    public async Task<IReadOnlyList<bool>> EnqueueAsync(IReadOnlyList<NewWorkItem> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (Volatile.Read(ref _ready) is { } ready && ready.HasRoomFor(items.Count))
        {
            var enqueued = await _store.EnqueueLeasedAsync(_options.Queue, items, cancellationToken);
            // Items that no longer fit (or come after the pump stopped) are given back before this returns.
            await HandOver(ready, enqueued);
            return [.. enqueued.Select(e => e.Added)];
        }

        var created = await _store.EnqueueAsync(_options.Queue, items, cancellationToken);
        _signal.Notify();
        return created;
    }

    /// <summary>
    /// Enqueues items in <paramref name="transaction"/>, as <see cref="EnqueueAsync(IReadOnlyList{NewWorkItem}, CancellationToken)"/>
    /// does; what is leased to the pump is handed over once the transaction commits.
    /// </summary>
    public async ValueTask<IReadOnlyList<bool>> EnqueueAsync(IWorkTransaction transaction, IReadOnlyList<NewWorkItem> items)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(items);
        if (Volatile.Read(ref _ready) is { } ready && ready.HasRoomFor(items.Count))
        {
            var enqueued = await transaction.EnqueueLeasedAsync(_options.Queue, items);
            // What no longer fits once this commits is given back by the queue; the pump awaits that when it stops.
            transaction.OnCommitted(() => _ = HandOver(ready, enqueued));
            return [.. enqueued.Select(e => e.Added)];
        }

        var created = await transaction.EnqueueAsync(_options.Queue, items);
        transaction.OnCommitted(_signal.Notify);
        return created;
    }

    /// <summary>
    /// Enqueues items in <paramref name="batch"/>, as <see cref="EnqueueAsync(IWorkTransaction, IReadOnlyList{NewWorkItem})"/>
    /// does in a transaction; what is leased to the pump is handed over once the batch commits.
    /// </summary>
    public void Enqueue(WorkBatch batch, IReadOnlyList<NewWorkItem> items)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (Volatile.Read(ref _ready) is { } ready && ready.HasRoomFor(items.Count))
        {
            batch.Enqueue(_options.Queue, items, leased: true, committed: enqueued => _ = HandOver(ready, enqueued));
            return;
        }

        batch.Enqueue(_options.Queue, items, committed: _ => _signal.Notify());
    }

    private Task HandOver(ReadyQueue ready, IReadOnlyList<EnqueuedItem> enqueued)
    {
        if (enqueued.Any(e => e.Added && e.Leased is null))
        {
            // Stored due later, or waiting behind its ordering key: claimed when its time comes.
            _signal.Notify();
        }

        return ready.Add([.. enqueued.Where(e => e.Leased is not null).Select(e => e.Leased!)]);
    }

    /// <summary>Runs the pump until <paramref name="stoppingToken"/> fires, then finishes the items in hand (cancelled ones are given back) and records their results.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        // Claimed items wait here for a free worker: claims run ahead of the work (a batch at a time) instead of one
        // claim per free slot, and items enqueued through this pump are handed over here too.
        var batch = Math.Max(_options.ClaimBatchSize, _options.Concurrency);
        var ready = new ReadyQueue(capacity: batch * 4, refillAt: batch, ReleaseAsync);
        if (Interlocked.CompareExchange(ref _ready, ready, null) is not null)
        {
            throw new InvalidOperationException("the pump is running already");
        }

        var completions = Channel.CreateUnbounded<Result>(new UnboundedChannelOptions { SingleReader = true });
        var recorder = RecordAsync(completions.Reader);
        Action<IReadOnlyList<string>> returned = queues =>
        {
            if (queues.Contains(_options.Queue))
            {
                _signal.Notify();
            }
        };
        var notifier = _store as INotifyWorkReturned;
        if (notifier is not null)
        {
            notifier.WorkReturned += returned;
        }

        var workers = Enumerable.Range(0, _options.Concurrency).Select(_ => WorkAsync(ready, completions.Writer, stoppingToken)).ToArray();

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var wake = _signal.WaitAsync();
                // Claims run ahead of the work, a batch at a time, once the items waiting are down to one batch.
                await ready.WaitForRoomAsync().WaitAsync(stoppingToken);
                IReadOnlyList<ClaimedWorkItem> claimed;
                try
                {
                    claimed = await _store.ClaimAsync(_options.Queue, Math.Min(batch, ready.Capacity - ready.Count), stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogClaimFailed(_logger, _options.Queue, ex);
                    await Task.Delay(_options.PollInterval, _time, stoppingToken);
                    continue;
                }

                await ready.Add(claimed);
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
            if (notifier is not null)
            {
                notifier.WorkReturned -= returned;
            }

            Interlocked.CompareExchange(ref _ready, null, ready);
            ready.Close();
            await Task.WhenAll(workers);
            completions.Writer.TryComplete();
            await recorder;
            // Items that came after the close (a claim, a hand-over, the next of an ordering key) are given back by now.
            await ready.ReleasesAsync();
        }
    }

    /// <summary>One of <see cref="WorkPumpOptions.Concurrency"/> workers: works ready items one at a time until the pump stops.</summary>
    private async Task WorkAsync(ReadyQueue ready, ChannelWriter<Result> completions, CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (await ready.TakeAsync() is { } item)
        {
            var completion = await RunAsync(item, stoppingToken);
            if (completion.Outcome == WorkOutcome.Recorded)
            {
                continue;
            }

            completions.TryWrite(new Result(completion, item.OrderingKey is not null && completion.Outcome is WorkOutcome.Succeeded or WorkOutcome.Failed));
        }
    }

    private async Task<WorkCompletion> RunAsync(ClaimedWorkItem item, CancellationToken stoppingToken)
    {
        var pause = FirstRecordRetry;
        for (var tries = 1; !stoppingToken.IsCancellationRequested; tries++)
        {
            try
            {
                return await _handler(item, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Shutting down mid-work: hand the item back so another pump need not wait for the lease.
                break;
            }
            catch (Exception ex) when (TransientStoreErrors.IsTransient(ex))
            {
                // The database, not the work: the item stays leased here and runs again once the database answers.
                if (tries == 1)
                {
                    LogWorkInterrupted(_logger, item.Key, _options.Queue, ex);
                }

                try
                {
                    await Task.Delay(pause, _time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                pause = Shorter(pause * 2, LongestTransientRetry);
            }
            catch (Exception ex)
            {
                // Leases do not expire: an item kept would wait for the next start. Give it back, later.
                LogWorkFailed(_logger, _options.Queue, item.Key, AfterUnexpectedFailure, ex);
                return WorkCompletion.Release(item.Lease, _time.GetUtcNow() + AfterUnexpectedFailure);
            }
        }

        // Stopping: give it back to be claimed afresh.
        return WorkCompletion.Release(item.Lease, _time.GetUtcNow());
    }

    private static TimeSpan Shorter(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <param name="FinishesInOrder">The item had an ordering key and finishes: the next of its key may start once this is recorded.</param>
    private readonly record struct Result(WorkCompletion Completion, bool FinishesInOrder);

    /// <summary>Gives back items that were leased to this pump but will not be worked by it (it stopped).</summary>
    private async Task ReleaseAsync(IReadOnlyList<ClaimedWorkItem> items)
    {
        try
        {
            var now = _time.GetUtcNow();
            await _store.CompleteAsync([.. items.Select(i => WorkCompletion.Release(i.Lease, now))], CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogReleaseFailed(_logger, items.Count, _options.Queue, ex);
        }
    }

    /// <summary>
    /// Writes results in batches; drains what is queued even while stopping. A batch that cannot be written (a full disk,
    /// a database down) is tried again, with growing pauses, for as long as the pump runs: its items stay leased to this
    /// process meanwhile, and leases do not expire. Once stopping, what still cannot be written is left to the next start.
    /// </summary>
    private async Task RecordAsync(ChannelReader<Result> reader)
    {
        var batch = new List<WorkCompletion>(MaxCompletionsPerWrite);
        while (await reader.WaitToReadAsync())
        {
            batch.Clear();
            var finishesInOrder = false;
            while (batch.Count < MaxCompletionsPerWrite && reader.TryRead(out var result))
            {
                batch.Add(result.Completion);
                finishesInOrder |= result.FinishesInOrder;
            }

            var pause = FirstRecordRetry;
            for (var tries = 1; ; tries++)
            {
                try
                {
                    // Items that finish in order let the next of their key start: leased to this pump, handed over here.
                    var ready = Volatile.Read(ref _ready);
                    var result = finishesInOrder && ready is not null
                        ? await _store.CompleteAndStartNextAsync(batch, CancellationToken.None)
                        : new WorkCompletionResult(await _store.CompleteAsync(batch, CancellationToken.None), []);
                    var stale = result.Recorded.Count(r => !r);
                    if (stale > 0)
                    {
                        LogStaleResults(_logger, stale, _options.Queue);
                    }

                    if (result.Started.Count > 0)
                    {
                        await ready!.Add(result.Started);
                    }

                    if (finishesInOrder)
                    {
                        _signal.Notify();
                    }

                    break;
                }
                catch (Exception ex)
                {
                    var stopping = reader.Completion.IsCompleted || Volatile.Read(ref _ready) is null;
                    if (stopping && tries >= RecordTriesWhileStopping)
                    {
                        LogRecordGivenUp(_logger, batch.Count, _options.Queue, ex);
                        break;
                    }

                    if (tries == 1)
                    {
                        LogRecordFailed(_logger, batch.Count, _options.Queue, ex);
                    }

                    await Task.Delay(pause, _time);
                    // A database that is briefly unavailable is looked at again every second: the results are recorded
                    // (and the items they let start are started) within that of its return.
                    pause = Shorter(pause * 2, TransientStoreErrors.IsTransient(ex) ? LongestTransientRetry : LongestRecordRetry);
                }
            }
        }
    }

    private async Task WaitForWorkAsync(Task wake, CancellationToken stoppingToken)
    {
        var wait = _options.PollInterval;
        try
        {
            if (await _store.NextDueAtAsync(_options.Queue, stoppingToken) is { } next)
            {
                var untilDue = next - _time.GetUtcNow();
                // Due already but nothing claimed: another worker claimed it between the two looks; look again soon.
                wait = untilDue <= TimeSpan.Zero ? TimeSpan.FromMilliseconds(50) : untilDue < wait ? untilDue : wait;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogClaimFailed(_logger, _options.Queue, ex);
        }

        await Task.WhenAny(wake, Task.Delay(wait, _time, stoppingToken));
        stoppingToken.ThrowIfCancellationRequested();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Claiming due items of queue {Queue} failed; trying again shortly")]
    private static partial void LogClaimFailed(ILogger logger, string queue, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Working item {Key} of queue {Queue} failed unexpectedly; it is worked again in {Delay}")]
    private static partial void LogWorkFailed(ILogger logger, string queue, string key, TimeSpan delay, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Giving back {Count} items of queue {Queue} failed; they are worked after a restart or a takeover")]
    private static partial void LogReleaseFailed(ILogger logger, int count, string queue, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} results for queue {Queue} were dropped: their items had been taken over by another worker")]
    private static partial void LogStaleResults(ILogger logger, int count, string queue);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Item {Key} of queue {Queue} was interrupted by a database error that should pass; it stays with this process and runs again as soon as the database answers")]
    private static partial void LogWorkInterrupted(ILogger logger, string key, string queue, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Recording {Count} results for queue {Queue} failed; trying again until it is recorded (the items stay with this process meanwhile)")]
    private static partial void LogRecordFailed(ILogger logger, int count, string queue, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Recording {Count} results for queue {Queue} failed while stopping; given up: the items are worked again after a restart or a takeover")]
    private static partial void LogRecordGivenUp(ILogger logger, int count, string queue, Exception exception);
}

/// <summary>A wake-up call within one process; lossy by design (whoever waits also polls).</summary>
internal sealed class WorkSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task WaitAsync() => Volatile.Read(ref _next).Task;

    public void Notify() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
