using Switchboard.DurableWork;
using Switchboard.Receiver.Storage;

namespace Switchboard.Receiver.Inbox;

/// <summary>
/// The inbox's <see cref="WorkQueue"/> on the receiver's store (opened on first use), which the handler runner of this
/// process works: the inbox enqueues fresh events through it (handed to the runner in memory while it runs), and replays
/// wake the runner.
/// </summary>
internal sealed class LocalHandlerRunner
{
    private Bound? _bound;

    /// <summary>The inbox queue of <paramref name="store"/>: the same object for every caller, so the runner working it takes what they enqueue.</summary>
    public WorkQueue QueueOf(IWorkStore store)
    {
        var bound = Volatile.Read(ref _bound);
        if (bound is not null && ReferenceEquals(bound.Store, store))
        {
            return bound.Queue;
        }

        var fresh = new Bound(store, new WorkQueue(store, ReceiverQueues.Inbox));
        return (Interlocked.CompareExchange(ref _bound, fresh, bound) == bound ? fresh : Volatile.Read(ref _bound)!).Queue;
    }

    /// <summary>Enqueues events of the inbox queue (<paramref name="queue"/>) in <paramref name="store"/>; each result says whether it was new.</summary>
    public Task<IReadOnlyList<bool>> EnqueueAsync(IWorkStore store, string queue, IReadOnlyList<NewWorkItem> items, CancellationToken cancellationToken = default)
    {
        CheckInbox(queue);
        return QueueOf(store).EnqueueAsync(items, cancellationToken);
    }

    /// <summary>
    /// Enqueues events of the inbox queue (<paramref name="queue"/>) of <paramref name="store"/> in <paramref name="batch"/>:
    /// handed to the runner once it commits; <paramref name="committed"/> then gets whether each was new.
    /// </summary>
    public void Enqueue(IWorkStore store, WorkBatch batch, string queue, IReadOnlyList<NewWorkItem> items, Action<IReadOnlyList<bool>> committed)
    {
        CheckInbox(queue);
        QueueOf(store).Enqueue(batch, items, committed);
    }

    /// <summary>Events may be due now (replayed): the runner looks without waiting for its next poll.</summary>
    public void Notify() => Volatile.Read(ref _bound)?.Queue.Notify();

    private static void CheckInbox(string queue)
    {
        if (queue != ReceiverQueues.Inbox)
        {
            throw new ArgumentException($"the handler runner works the {ReceiverQueues.Inbox} queue, not {queue}", nameof(queue));
        }
    }

    private sealed record Bound(IWorkStore Store, WorkQueue Queue);
}
