using System.ComponentModel;
namespace Switchboard.DurableWork;

/// <summary>
/// A write-only batch of typed operations, committed together by <see cref="IWorkStore.CommitAsync"/> or not at all:
/// document writes under version checks, enqueues, and the completion of the work item that built it. Everything a batch
/// writes is computed before it is committed (read on a snapshot, compute, then commit), so the store's writer runs its
/// SQL and nothing else, and nothing runs again behind the caller's back: a version check that fails comes back as
/// <see cref="WorkBatchOutcome.Conflict"/>, for the caller to read again and build a new batch.
/// </summary>
public sealed class WorkBatch
{
    private readonly List<WorkBatchOperation> _operations = [];
    private List<Action>? _committed;

    /// <summary>For store packages (the driver): the batch's operations, in order.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public IReadOnlyList<WorkBatchOperation> Operations => _operations;

    /// <summary>True when nothing was added.</summary>
    public bool IsEmpty => _operations.Count == 0;

    /// <summary>Writes a document; the batch fails with <see cref="WorkBatchOutcome.Conflict"/> if its version check refuses it.</summary>
    public WorkBatch PutDocument(DocumentPut put)
    {
        ArgumentNullException.ThrowIfNull(put);
        DocumentSql.Put(put, DateTimeOffset.UnixEpoch);
        _operations.Add(new WorkBatchOperation.Put(put));
        return this;
    }

    /// <summary>Deletes a document at <paramref name="expectedVersion"/>; the batch fails with <see cref="WorkBatchOutcome.Conflict"/> if it is gone or changed.</summary>
    public WorkBatch DeleteDocument(string kind, string id, long expectedVersion)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentException.ThrowIfNullOrEmpty(id);
        _operations.Add(new WorkBatchOperation.Delete(kind, id, expectedVersion));
        return this;
    }

    /// <summary>
    /// Deletes up to <paramref name="maxDocuments"/> documents of <paramref name="kind"/> that finished before
    /// <paramref name="finishedBefore"/>, oldest first (unfinished ones are never touched); <paramref name="deleted"/> gets
    /// how many, once the batch committed. Retention's write: no version check, what finished is not changed any more.
    /// </summary>
    public WorkBatch PruneDocuments(string kind, DateTimeOffset finishedBefore, int maxDocuments, Action<int>? deleted = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxDocuments);
        _operations.Add(new WorkBatchOperation.PruneDocuments(kind, finishedBefore, maxDocuments, deleted));
        return this;
    }

    /// <summary>
    /// Adds items like <see cref="IWorkStore.EnqueueAsync"/>. With <paramref name="leased"/>, like
    /// <see cref="IWorkStore.EnqueueLeasedAsync"/>; <paramref name="committed"/> gets, once the batch committed, what each
    /// item's enqueue did (to hand the leased ones to a worker in this process).
    /// </summary>
    public WorkBatch Enqueue(string queue, IReadOnlyList<NewWorkItem> items, bool leased = false, Action<IReadOnlyList<EnqueuedItem>>? committed = null)
    {
        StoreSql.CheckQueue(queue);
        StoreSql.CheckItems(items);
        _operations.Add(new WorkBatchOperation.Add(queue, items, leased, committed));
        return this;
    }

    /// <summary>
    /// Adds items already finished (succeeded, one attempt counted): records no worker ever takes, kept until pruned, such
    /// as a log. Idempotent on the key like <see cref="Enqueue"/>; <paramref name="committed"/> gets, once the batch
    /// committed, whether each item was added. With <paramref name="onlyIfPreviousAdded"/>, they are written only if the
    /// batch's operation just before this one is an enqueue (or an <see cref="AddFinished"/>) that added all its items: a
    /// record that belongs to new work only, decided in the same commit.
    /// </summary>
    public WorkBatch AddFinished(string queue, IReadOnlyList<NewWorkItem> items, Action<IReadOnlyList<bool>>? committed = null, bool onlyIfPreviousAdded = false)
    {
        StoreSql.CheckQueue(queue);
        StoreSql.CheckItems(items);
        _operations.Add(new WorkBatchOperation.AddFinished(queue, items, onlyIfPreviousAdded, committed));
        return this;
    }

    /// <summary>Deletes up to <paramref name="maxItems"/> items of <paramref name="queue"/> that finished before <paramref name="finishedBefore"/>, oldest first, like <see cref="IWorkStore.PruneAsync"/>.</summary>
    public WorkBatch Prune(string queue, DateTimeOffset finishedBefore, int maxItems)
    {
        StoreSql.CheckQueue(queue);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxItems);
        _operations.Add(new WorkBatchOperation.Prune(queue, finishedBefore, maxItems));
        return this;
    }

    /// <summary>
    /// Records <paramref name="item"/> (leased to this store's worker) as succeeded, one attempt counted, in this batch:
    /// the work's own completion, committed with what the work wrote. The batch fails with
    /// <see cref="WorkBatchOutcome.LeaseLost"/> if the lease is no longer the item's (another worker took it over). Items
    /// with an ordering key are completed by their worker instead (the next of the key starts there).
    /// </summary>
    public WorkBatch Complete(ClaimedWorkItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (item.OrderingKey is not null)
        {
            throw new ArgumentException("an item with an ordering key is completed by its worker, not in a batch", nameof(item));
        }

        _operations.Add(new WorkBatchOperation.Succeed(item.Lease));
        return this;
    }

    /// <summary>Runs <paramref name="action"/> once the batch has committed (not if it fails).</summary>
    public WorkBatch OnCommitted(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        (_committed ??= []).Add(action);
        return this;
    }

    /// <summary>
    /// For store packages (the driver): once the batch committed, the callbacks of its enqueues and <see cref="AddFinished"/>s
    /// with their results (<paramref name="enqueued"/>: one list per such operation, in order), then the actions.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void RunCommitted(IReadOnlyList<IReadOnlyList<EnqueuedItem>> enqueued)
    {
        var i = 0;
        foreach (var operation in _operations)
        {
            if (operation is WorkBatchOperation.Add add)
            {
                add.Committed?.Invoke(enqueued[i]);
                i++;
            }
            else if (operation is WorkBatchOperation.AddFinished finished)
            {
                finished.Committed?.Invoke([.. enqueued[i].Select(e => e.Added)]);
                i++;
            }
            else if (operation is WorkBatchOperation.PruneDocuments prune)
            {
                prune.Deleted?.Invoke(prune.DeletedCount);
            }
        }

        foreach (var action in _committed ?? [])
        {
            action();
        }
    }
}

/// <summary>What <see cref="IWorkStore.CommitAsync"/> did.</summary>
public enum WorkBatchOutcome
{
    /// <summary>Every operation is stored.</summary>
    Committed,

    /// <summary>A document's version check refused it: nothing is stored; read again and build a new batch.</summary>
    Conflict,

    /// <summary>The completed item's lease is no longer the item's (taken over): nothing is stored; its new worker runs it.</summary>
    LeaseLost,
}

/// <param name="Detail">What refused the batch (the document's kind and id), for logs; null when committed.</param>
public sealed record WorkBatchResult(WorkBatchOutcome Outcome, string? Detail = null)
{
    public static readonly WorkBatchResult Committed = new(WorkBatchOutcome.Committed);
}

/// <summary>One operation of a <see cref="WorkBatch"/>, for store packages (the driver) that commit batches; not for other use.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract record WorkBatchOperation
{
    public sealed record Put(DocumentPut Document) : WorkBatchOperation;

    public sealed record Delete(string Kind, string Id, long ExpectedVersion) : WorkBatchOperation;

    public sealed record Add(string Queue, IReadOnlyList<NewWorkItem> Items, bool Leased, Action<IReadOnlyList<EnqueuedItem>>? Committed) : WorkBatchOperation;

    public sealed record Succeed(WorkLease Lease) : WorkBatchOperation;

    /// <param name="OnlyIfPreviousAdded">Written only if the operation before it (an enqueue) added all its items.</param>
    public sealed record AddFinished(string Queue, IReadOnlyList<NewWorkItem> Items, bool OnlyIfPreviousAdded, Action<IReadOnlyList<bool>>? Committed) : WorkBatchOperation;

    public sealed record Prune(string Queue, DateTimeOffset FinishedBefore, int MaxItems) : WorkBatchOperation;

    /// <summary>The store sets <see cref="DeletedCount"/> when it runs the delete (again, if its transaction runs again); the batch reports it once committed.</summary>
    public sealed record PruneDocuments(string Kind, DateTimeOffset FinishedBefore, int MaxDocuments, Action<int>? Deleted) : WorkBatchOperation
    {
        public int DeletedCount { get; set; }
    }
}
