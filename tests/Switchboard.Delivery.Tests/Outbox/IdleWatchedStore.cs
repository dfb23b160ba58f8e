using Switchboard.DurableWork;
using Switchboard.Testing;

namespace Switchboard.Delivery.Tests.Outbox;

/// <summary>
/// The outbox's store, watched so that a test on a fake clock can wait until the running dispatcher has done everything
/// due: the production loop, with no step-by-step copy of it. The dispatcher is idle when no claim or result is being
/// written, nothing is leased to it, and its last claim found nothing, made at the clock's current time and after the
/// last write. Until then the watch nudges it, as a store does when work comes back, so a dispatcher asleep on its
/// timer looks again.
/// </summary>
internal sealed class IdleWatchedStore : ForwardingWorkStore, INotifyWorkReturned
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly HashSet<string> _claimedQueues = [];
    private long _sequence;
    private long _lastWrite;
    private long _lastEmptyClaim;
    private DateTimeOffset _lastEmptyClaimAt = DateTimeOffset.MinValue;
    private int _inFlight;
    private int _leased;

    public IdleWatchedStore(IWorkStore inner, TimeProvider time) : base(inner)
    {
        _time = time;
        if (inner is INotifyWorkReturned returning)
        {
            returning.WorkReturned += queues => WorkReturned?.Invoke(queues);
        }
    }

    public event Action<IReadOnlyList<string>>? WorkReturned;

    /// <summary>Waits until the dispatcher has attempted everything due at the clock's current time and recorded the results.</summary>
    public Task WaitUntilIdleAsync() =>
        Eventually.TrueAsync(() =>
        {
            string[] nudge;
            lock (_gate)
            {
                if (_leased < 0)
                {
                    throw new InvalidOperationException("results came for leases this watch did not see taken (enqueued leased inside WriteAsync?)");
                }

                var quiet = _inFlight == 0 && _leased == 0;
                if (quiet && _lastEmptyClaim > _lastWrite && _lastEmptyClaimAt >= _time.GetUtcNow())
                {
                    return true;
                }

                nudge = quiet ? [.. _claimedQueues] : [];
            }

            if (nudge.Length > 0)
            {
                WorkReturned?.Invoke(nudge);
            }

            return false;
        }, "the dispatcher to attempt everything due and record the results");

    public override Task<IReadOnlyList<ClaimedWorkItem>> ClaimAsync(string queue, int maxItems, CancellationToken cancellationToken = default) =>
        WatchAsync(() => Inner.ClaimAsync(queue, maxItems, cancellationToken), (claimed, started, at) =>
        {
            _claimedQueues.Add(queue);
            _leased += claimed.Count;
            if (claimed.Count == 0 && started > _lastEmptyClaim)
            {
                (_lastEmptyClaim, _lastEmptyClaimAt) = (started, at);
            }
        });

    public override Task<IReadOnlyList<EnqueuedItem>> EnqueueLeasedAsync(string queue, IReadOnlyList<NewWorkItem> items, CancellationToken cancellationToken = default) =>
        WatchWriteAsync(() => Inner.EnqueueLeasedAsync(queue, items, cancellationToken), enqueued => _leased += enqueued.Count(e => e.Leased is not null));

    public override Task<IReadOnlyList<bool>> CompleteAsync(IReadOnlyList<WorkCompletion> completions, CancellationToken cancellationToken = default) =>
        WatchWriteAsync(() => Inner.CompleteAsync(completions, cancellationToken), _ => _leased -= completions.Count);

    public override Task<WorkCompletionResult> CompleteAndStartNextAsync(IReadOnlyList<WorkCompletion> completions, CancellationToken cancellationToken = default) =>
        WatchWriteAsync(() => Inner.CompleteAndStartNextAsync(completions, cancellationToken), result =>
        {
            _leased += result.Started.Count - completions.Count;
        });

    public override Task<IReadOnlyList<bool>> EnqueueAsync(string queue, IReadOnlyList<NewWorkItem> items, CancellationToken cancellationToken = default) =>
        WatchWriteAsync(() => Inner.EnqueueAsync(queue, items, cancellationToken));

    public override Task<T> WriteAsync<T>(Func<IWorkTransaction, ValueTask<T>> work, CancellationToken cancellationToken = default) =>
        WatchWriteAsync(() => Inner.WriteAsync(work, cancellationToken));

    public override Task<bool> RequeueAsync(string queue, string key, DateTimeOffset dueAt, CancellationToken cancellationToken = default) =>
        WatchWriteAsync(() => Inner.RequeueAsync(queue, key, dueAt, cancellationToken));

    public override Task<int> RequeueFailedAsync(string queue, DateTimeOffset failedSince, DateTimeOffset dueAt, CancellationToken cancellationToken = default) =>
        WatchWriteAsync(() => Inner.RequeueFailedAsync(queue, failedSince, dueAt, cancellationToken));

    private Task<T> WatchWriteAsync<T>(Func<Task<T>> write, Action<T>? recorded = null) =>
        WatchAsync(write, (result, _, _) =>
        {
            recorded?.Invoke(result);
            _lastWrite = ++_sequence;
        });

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
