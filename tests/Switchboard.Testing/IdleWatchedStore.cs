using Switchboard.DurableWork;

namespace Switchboard.Testing;

/// <summary>
/// A work store watched so that a test on a fake clock can wait until the running workers (a delivery dispatcher, the
/// platform's lifecycle runner: any pump on this store) have done everything due: the production loops, with no
/// step-by-step copy of them. They are idle when no store call is running, every queue a pump claims from had its last
/// claim find nothing, made at the clock's current time and after the last write, and the store holds nothing leased
/// (an item handed over in memory, claimed or running is leased until its result is written). Until then the watch
/// nudges the pumps, as a store does when work comes back, so a pump asleep on its timer looks again.
/// </summary>
public sealed class IdleWatchedStore : ForwardingWorkStore, INotifyWorkReturned
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly Dictionary<string, (long Sequence, DateTimeOffset At)> _lastEmptyClaims = [];
    private long _sequence;
    private long _lastWrite;
    private int _inFlight;

    /// <param name="workedQueues">The queues whose pumps must have looked before anything counts as idle (else: those seen claiming).</param>
    public IdleWatchedStore(IWorkStore inner, TimeProvider time, params IReadOnlyList<string> workedQueues) : base(inner)
    {
        _time = time;
        foreach (var queue in workedQueues)
        {
            _lastEmptyClaims[queue] = (0, DateTimeOffset.MinValue);
        }

        if (inner is INotifyWorkReturned returning)
        {
            returning.WorkReturned += queues => WorkReturned?.Invoke(queues);
        }
    }

    public event Action<IReadOnlyList<string>>? WorkReturned;

    /// <summary>Waits until the workers have attempted everything due at the clock's current time and recorded the results.</summary>
    public Task WaitUntilIdleAsync() =>
        Eventually.TrueAsync(async () =>
        {
            long seen;
            string[] queues;
            lock (_gate)
            {
                queues = [.. _lastEmptyClaims.Keys];
                var now = _time.GetUtcNow();
                var claimedAfterLastWrite = _lastEmptyClaims.Count > 0 && _lastEmptyClaims.Values.All(c => c.Sequence > _lastWrite && c.At >= now);
                if (_inFlight > 0 || !claimedAfterLastWrite)
                {
                    seen = -1;
                }
                else
                {
                    seen = _sequence;
                }
            }

            if (seen >= 0 && !await AnyLeasedAsync(queues))
            {
                lock (_gate)
                {
                    // Nothing started while the store was read: what it said still holds.
                    if (_sequence == seen && _inFlight == 0)
                    {
                        return true;
                    }
                }
            }

            WorkReturned?.Invoke(queues);
            return false;
        }, "the workers to attempt everything due and record the results");

    /// <summary>Reads past the watch (a read is not a worker's call): whether any item of these queues is leased.</summary>
    private async Task<bool> AnyLeasedAsync(IEnumerable<string> queues)
    {
        foreach (var queue in queues)
        {
            for (var page = 1; ; page++)
            {
                var items = await Inner.QueryAsync(queue, new WorkQuery { Status = WorkStatus.Pending, PageNumber = page, PageSize = 250 });
                if (items.Items.Any(item => item.LeasedAt is not null))
                {
                    return true;
                }

                if (page >= items.TotalPages)
                {
                    break;
                }
            }
        }

        return false;
    }

    public override Task<IReadOnlyList<ClaimedWorkItem>> ClaimAsync(string queue, int maxItems, CancellationToken cancellationToken = default) =>
        WatchAsync(() => Inner.ClaimAsync(queue, maxItems, cancellationToken), (claimed, started, at) =>
        {
            if (claimed.Count == 0 && (!_lastEmptyClaims.TryGetValue(queue, out var last) || started > last.Sequence))
            {
                _lastEmptyClaims[queue] = (started, at);
            }
            else
            {
                _lastEmptyClaims.TryAdd(queue, (0, DateTimeOffset.MinValue));
            }
        });

    public override Task<IReadOnlyList<EnqueuedItem>> EnqueueLeasedAsync(string queue, IReadOnlyList<NewWorkItem> items, CancellationToken cancellationToken = default) =>
        WatchWriteAsync(() => Inner.EnqueueLeasedAsync(queue, items, cancellationToken));

    public override Task<IReadOnlyList<bool>> CompleteAsync(IReadOnlyList<WorkCompletion> completions, CancellationToken cancellationToken = default) =>
        WatchWriteAsync(() => Inner.CompleteAsync(completions, cancellationToken));

    public override Task<WorkCompletionResult> CompleteAndStartNextAsync(IReadOnlyList<WorkCompletion> completions, CancellationToken cancellationToken = default) =>
        WatchWriteAsync(() => Inner.CompleteAndStartNextAsync(completions, cancellationToken));

    public override Task<IReadOnlyList<bool>> EnqueueAsync(string queue, IReadOnlyList<NewWorkItem> items, CancellationToken cancellationToken = default) =>
        WatchWriteAsync(() => Inner.EnqueueAsync(queue, items, cancellationToken));

    public override Task<WorkBatchResult> CommitAsync(WorkBatch batch, CancellationToken cancellationToken = default) =>
        WatchWriteAsync(() => Inner.CommitAsync(batch, cancellationToken));

    public override Task<bool> RequeueAsync(string queue, string key, DateTimeOffset dueAt, CancellationToken cancellationToken = default) =>
        WatchWriteAsync(() => Inner.RequeueAsync(queue, key, dueAt, cancellationToken));

    public override Task<int> RequeueFailedAsync(string queue, DateTimeOffset failedSince, DateTimeOffset dueAt, CancellationToken cancellationToken = default) =>
        WatchWriteAsync(() => Inner.RequeueFailedAsync(queue, failedSince, dueAt, cancellationToken));

    private Task<T> WatchWriteAsync<T>(Func<Task<T>> write) =>
        WatchAsync(write, (_, _, _) => _lastWrite = ++_sequence);

    /// <summary>Runs a call counted as in flight; <paramref name="recorded"/> runs under the lock with the result, the call's place in the sequence and the clock's time when it started.</summary>
    private async Task<T> WatchAsync<T>(Func<Task<T>> call, Action<T, long, DateTimeOffset> recorded)
    {
        long started;
        DateTimeOffset at;
        lock (_gate)
        {
            started = ++_sequence;
            at = _time.GetUtcNow();
            _inFlight++;
        }

        try
        {
            var result = await call();
            lock (_gate)
            {
                recorded(result, started, at);
            }

            return result;
        }
        finally
        {
            lock (_gate)
            {
                _inFlight--;
            }
        }
    }
}
