using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Switchboard.DurableWork.Pump;

namespace Switchboard.DurableWork;

/// <summary>How a <see cref="WorkQueueWorker"/> works its queue.</summary>
public sealed class WorkQueueWorkerOptions
{
    /// <summary>How many items are worked at once. Default 8.</summary>
    public int Concurrency { get; set; } = 8;

    /// <summary>
    /// How many due items one claim takes. Default 64. The worker holds up to four claims' worth leased in memory; each
    /// of those counts an interrupted attempt should the process die.
    /// </summary>
    public int ClaimBatchSize { get; set; } = 64;

    /// <summary>The longest wait between two looks for due items when nothing signals new work. Default one second.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Concurrency, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ClaimBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(PollInterval, TimeSpan.Zero);
    }
}

/// <summary>
/// Works the items of one <see cref="WorkQueue"/> in this process, the one loop every worker of Switchboard runs (the
/// delivery dispatcher, the webhook handler runner, the platform's lifecycle steps): claims due items in batches (leased
/// to this process), runs them through its <see cref="IWorkHandler"/> with bounded concurrency, and records the results in
/// batches. While it runs, items enqueued through its queue (alone or in a transaction) that may start now are stored
/// already leased to it and handed over in memory: no claim, no polling, and the same durability (the rows and their
/// leases commit first; should the process die, the items are due again when it restarts, or when another worker takes
/// them over). An item with an ordering key that finishes lets the next one of its key start: the worker looks for it at
/// once. When it stops, the items in hand finish (cancelled ones are given back), what waits in memory is given back due
/// at once, and the results are recorded.
/// </summary>
/// <remarks>
/// Register one with <see cref="WorkQueueServiceCollectionExtensions.AddWorkQueue{THandler}(Microsoft.Extensions.DependencyInjection.IServiceCollection, string, Func{IServiceProvider, WorkQueueWorkerOptions?})"/>, or run one yourself with
/// <see cref="RunAsync"/> (one run at a time per worker; a later worker of the same queue object takes over the hand-over).
/// </remarks>
public sealed partial class WorkQueueWorker
{
    private const int MaxCompletionsPerWrite = 512;

    /// <summary>How long an item whose handler threw (not a transient store error) waits before it is worked again.</summary>
    public static readonly TimeSpan AfterUnexpectedFailure = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan FirstRecordRetry = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LongestRecordRetry = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The longest pause between two tries of an item or a write that failed on a transient store error: what waits is
    /// done within this of the database answering again.
    /// </summary>
    internal static readonly TimeSpan LongestTransientRetry = TimeSpan.FromSeconds(1);

    /// <summary>Tries to record a batch once the worker is stopping; after that its items are left to the next start.</summary>
    private const int RecordTriesWhileStopping = 3;

    private readonly IWorkStore _store;
    private readonly string _queue;
    private readonly WorkQueueWorkerOptions _options;
    private readonly IWorkHandler _handler;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly WorkSignal _signal = new();
    private ReadyQueue? _ready;

    /// <param name="queue">The queue to work; enqueue through it to have fresh items handed over in memory.</param>
    /// <param name="handler">Works one claimed item at a time (up to <see cref="WorkQueueWorkerOptions.Concurrency"/> at once).</param>
    /// <param name="options">Concurrency, claim size and polling; the defaults if null.</param>
    /// <param name="time">The clock of pauses, polls and give-back times; the system's if null.</param>
    public WorkQueueWorker(WorkQueue queue, IWorkHandler handler, WorkQueueWorkerOptions? options = null, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(handler);
        options ??= new WorkQueueWorkerOptions();
        options.Validate();
        Queue = queue;
        _store = queue.Store;
        _queue = queue.Name;
        _options = options;
        _handler = handler;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The queue this worker works.</summary>
    public WorkQueue Queue { get; }

    /// <summary>Work may be due now (stored or requeued elsewhere in this process): look without waiting for the next poll.</summary>
    internal void Notify() => _signal.Notify();

    /// <summary>
    /// Enqueues items; each result says whether its key was new. While the worker runs and has room, items that may start
    /// now are stored leased to it and handed over in memory; otherwise they are stored due and the worker is woken.
    /// </summary>
    internal async Task<IReadOnlyList<bool>> EnqueueAsync(IReadOnlyList<NewWorkItem> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (Volatile.Read(ref _ready) is { } ready && ready.HasRoomFor(items.Count))
        {
            var enqueued = await _store.EnqueueLeasedAsync(_queue, items, cancellationToken);
            // Items that no longer fit (or come after the worker stopped) are given back before this returns.
            await HandOver(ready, enqueued);
            return [.. enqueued.Select(e => e.Added)];
        }

        var created = await _store.EnqueueAsync(_queue, items, cancellationToken);
        _signal.Notify();
        return created;
    }

    /// <summary>
    /// Enqueues items in <paramref name="batch"/>, as <see cref="EnqueueAsync(IReadOnlyList{NewWorkItem}, CancellationToken)"/>
    /// does; what is leased to the worker is handed over once the batch commits.
    /// </summary>
    internal void Enqueue(WorkBatch batch, IReadOnlyList<NewWorkItem> items, Action<IReadOnlyList<bool>>? committed = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (Volatile.Read(ref _ready) is { } ready && ready.HasRoomFor(items.Count))
        {
            batch.Enqueue(_queue, items, leased: true, committed: enqueued =>
            {
                committed?.Invoke([.. enqueued.Select(e => e.Added)]);
                _ = HandOver(ready, enqueued);
            });
            return;
        }

        batch.Enqueue(_queue, items, committed: enqueued =>
        {
            committed?.Invoke([.. enqueued.Select(e => e.Added)]);
            _signal.Notify();
        });
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

    /// <summary>
    /// Works the queue until <paramref name="stoppingToken"/> fires, then finishes the items in hand (cancelled ones are
    /// given back), gives back what waits in memory, and records the results. A worker runs once at a time.
    /// </summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        // Claimed items wait here for a free worker: claims run ahead of the work (a batch at a time) instead of one
        // claim per free slot, and items enqueued through its queue are handed over here too.
        var batch = Math.Max(_options.ClaimBatchSize, _options.Concurrency);
        var ready = new ReadyQueue(capacity: batch * 4, refillAt: batch, ReleaseAsync);
        if (Interlocked.CompareExchange(ref _ready, ready, null) is not null)
        {
            throw new InvalidOperationException("the worker is running already");
        }

        Queue.Attach(this);

        var completions = Channel.CreateUnbounded<Result>(new UnboundedChannelOptions { SingleReader = true });
        var recorder = RecordAsync(completions.Reader, stoppingToken);
        Action<IReadOnlyList<string>> returned = queues =>
        {
            if (queues.Contains(_queue))
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
                    claimed = await _store.ClaimAsync(_queue, Math.Min(batch, ready.Capacity - ready.Count), stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogClaimFailed(_logger, _queue, ex);
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

            Queue.Detach(this);
            Interlocked.CompareExchange(ref _ready, null, ready);
            ready.Close();
            await Task.WhenAll(workers);
            completions.Writer.TryComplete();
            await recorder;
            // Items that came after the close (a claim, a hand-over, the next of an ordering key) are given back by now.
            await ready.ReleasesAsync();
        }
    }

    /// <summary>One of <see cref="WorkQueueWorkerOptions.Concurrency"/> slots: works ready items one at a time until the worker stops.</summary>
    private async Task WorkAsync(ReadyQueue ready, ChannelWriter<Result> completions, CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (await ready.TakeAsync() is { } item)
        {
            var completion = await RunItemAsync(item, stoppingToken);
            if (completion.Outcome == WorkOutcome.Recorded)
            {
                continue;
            }

            completions.TryWrite(new Result(completion, item.OrderingKey is not null && completion.Outcome is WorkOutcome.Succeeded or WorkOutcome.Failed));
        }
    }

    private async Task<WorkCompletion> RunItemAsync(ClaimedWorkItem item, CancellationToken stoppingToken)
    {
        var pause = FirstRecordRetry;
        for (var tries = 1; !stoppingToken.IsCancellationRequested; tries++)
        {
            try
            {
                return await _handler.HandleAsync(item, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Shutting down mid-work: hand the item back so another worker need not wait for the lease.
                break;
            }
            catch (Exception ex) when (TransientStoreErrors.IsTransient(ex))
            {
                // The database, not the work: the item stays leased here and runs again once the database answers.
                if (tries == 1)
                {
                    LogWorkInterrupted(_logger, item.Key, _queue, ex);
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
                LogWorkFailed(_logger, _queue, item.Key, AfterUnexpectedFailure, ex);
                return WorkCompletion.Release(item.Lease, _time.GetUtcNow() + AfterUnexpectedFailure);
            }
        }

        // Stopping: give it back to be claimed afresh.
        return WorkCompletion.Release(item.Lease, _time.GetUtcNow());
    }

    private static TimeSpan Shorter(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <param name="FinishesInOrder">The item had an ordering key and finishes: the next of its key may start once this is recorded.</param>
    private readonly record struct Result(WorkCompletion Completion, bool FinishesInOrder);

    /// <summary>Gives back items that were leased to this worker but will not be worked by it (it stopped).</summary>
    private async Task ReleaseAsync(IReadOnlyList<ClaimedWorkItem> items)
    {
        try
        {
            var now = _time.GetUtcNow();
            await _store.CompleteAsync([.. items.Select(i => WorkCompletion.Release(i.Lease, now))], CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogReleaseFailed(_logger, items.Count, _queue, ex);
        }
    }

    /// <summary>
    /// Writes results in batches; drains what is queued even while stopping. A batch that cannot be written (a full disk,
    /// a database down) is tried again, with growing pauses, for as long as the worker runs: its items stay leased to this
    /// process meanwhile, and leases do not expire. Once stopping, what still cannot be written is left to the next start.
    /// </summary>
    /// <param name="stoppingToken">Ends a pause between tries: once stopping, the last tries come without waiting for the
    /// clock (a test's clock that nobody advances would otherwise hold the stop for ever).</param>
    private async Task RecordAsync(ChannelReader<Result> reader, CancellationToken stoppingToken)
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
                    // Items that finish in order let the next of their key start: leased to this worker, handed over here.
                    var ready = Volatile.Read(ref _ready);
                    var result = finishesInOrder && ready is not null
                        ? await _store.CompleteAndStartNextAsync(batch, CancellationToken.None)
                        : new WorkCompletionResult(await _store.CompleteAsync(batch, CancellationToken.None), []);
                    var stale = result.Recorded.Count(r => !r);
                    if (stale > 0)
                    {
                        LogStaleResults(_logger, stale, _queue);
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
                    if (stoppingToken.IsCancellationRequested && tries >= RecordTriesWhileStopping)
                    {
                        LogRecordGivenUp(_logger, batch.Count, _queue, ex);
                        break;
                    }

                    if (tries == 1)
                    {
                        LogRecordFailed(_logger, batch.Count, _queue, ex);
                    }

                    try
                    {
                        await Task.Delay(pause, _time, stoppingToken);
                    }
                    catch (OperationCanceledException)
                    {
                    }

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
            if (await _store.NextDueAtAsync(_queue, stoppingToken) is { } next)
            {
                var untilDue = next - _time.GetUtcNow();
                // Due already but nothing claimed: another worker claimed it between the two looks; look again soon.
                wait = untilDue <= TimeSpan.Zero ? TimeSpan.FromMilliseconds(50) : untilDue < wait ? untilDue : wait;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogClaimFailed(_logger, _queue, ex);
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
