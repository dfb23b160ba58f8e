using System.ComponentModel;

namespace Switchboard.DurableWork;

/// <summary>
/// The driver behind <see cref="WorkQueue"/> and <see cref="WorkQueueWorker"/>: not for implementing or calling directly
/// outside Switchboard's packages. Open a store (<see cref="WorkStore"/>), give it to a <see cref="WorkQueue"/> to add
/// work and to a <see cref="WorkQueueWorker"/> (or <see cref="WorkQueueServiceCollectionExtensions.AddWorkQueue{THandler}(Microsoft.Extensions.DependencyInjection.IServiceCollection, string, Func{IServiceProvider, WorkQueueWorkerOptions?})"/>)
/// to work it: they own claims, leases, hand-over, completion and retries. Your own writes are write-only batches
/// (<see cref="WorkBatch"/>), planned on a snapshot and committed by <see cref="WorkPlans.PlanAndCommitAsync{T}"/>. It is public because <c>Switchboard.DurableWork.PostgreSql</c> implements it and Switchboard's
/// packages built on it read and write through it; members may be added in any release.
/// </summary>
/// <remarks>
/// <para>
/// Durable work with a due time and a lease. Items live in named queues and are unique on (queue, key).
/// The store's worker claims the items that are due, which leases them to it; it does the work with no lock or
/// connection held, then completes each item with the lease it got. A completion is recorded only while that lease
/// is still the item's.
/// </para>
/// <para>
/// A lease lasts as long as its worker lives, however long the work takes. Each open store is one worker
/// (<see cref="WorkerId"/>). SQLite: one process per database file (opening takes an exclusive lock on it), so when
/// the store opens, every item still leased belongs to a process that is gone, and is due again at once. PostgreSQL:
/// each store renews a heartbeat; the items of a worker whose heartbeat is older than the takeover timeout are due
/// again for any other worker, and the late results of the stopped worker are refused.
/// </para>
/// <para>
/// An item taken back that way counts the interrupted attempt, logged as <see cref="WorkAttempt.InterruptedDetail"/>:
/// the next attempt has the next number. Due times come from the store's <see cref="TimeProvider"/>. Every write is
/// durable when its task completes.
/// </para>
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IWorkStore : IAsyncDisposable
{
    /// <summary>This store's worker: the owner of every lease it takes.</summary>
    string WorkerId { get; }

    WorkStoreBackend Backend { get; }

    /// <summary>
    /// Adds items to <paramref name="queue"/> in one transaction. An item whose key the queue already holds is
    /// left as it is (idempotent on the key). Returns, for each item in order, true if it was added.
    /// </summary>
    Task<IReadOnlyList<bool>> EnqueueAsync(string queue, IReadOnlyList<NewWorkItem> items, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds items like <see cref="EnqueueAsync"/>, each already leased to this store's worker, for a worker in the
    /// caller's process to start at once without claiming them (no claim write, no polling). An item that is not due
    /// yet, or is held behind an earlier item of its ordering key, is added without a lease.
    /// </summary>
    Task<IReadOnlyList<EnqueuedItem>> EnqueueLeasedAsync(string queue, IReadOnlyList<NewWorkItem> items, CancellationToken cancellationToken = default);

    /// <summary>
    /// Leases up to <paramref name="maxItems"/> pending items whose due time has come, earliest first, to this
    /// store's worker. The claim is committed before this returns.
    /// </summary>
    Task<IReadOnlyList<ClaimedWorkItem>> ClaimAsync(string queue, int maxItems, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records outcomes and their attempt log entries in one transaction. Returns, for each completion in
    /// order, true if it was recorded, false if its lease was no longer the item's (nothing of it is stored).
    /// An item that finishes lets the next item of its ordering key start.
    /// </summary>
    Task<IReadOnlyList<bool>> CompleteAsync(IReadOnlyList<WorkCompletion> completions, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records outcomes like <see cref="CompleteAsync"/>, and leases to this store's worker the items they let start (the
    /// next item of each ordering key that finished, when due), for the caller to start without a claim.
    /// </summary>
    Task<WorkCompletionResult> CompleteAndStartNextAsync(IReadOnlyList<WorkCompletion> completions, CancellationToken cancellationToken = default);

    /// <summary>
    /// Commits <paramref name="batch"/> in one write transaction, or nothing of it: a version check or the completed
    /// item's lease refusing it is its outcome, for the caller to read again and build a new batch.
    /// </summary>
    Task<WorkBatchResult> CommitAsync(WorkBatch batch, CancellationToken cancellationToken = default);

    /// <summary>Runs <paramref name="read"/> on a read-only snapshot, beside the writes.</summary>
    Task<T> ReadAsync<T>(Func<IWorkReader, ValueTask<T>> read, CancellationToken cancellationToken = default);

    /// <summary>
    /// Brings the tables of <paramref name="component"/> (your own, beside the store's) up to date: runs each statement of
    /// <paramref name="migrations"/> that has not run on this database yet, in order, once across all processes.
    /// Append to the list; never change a statement that has shipped.
    /// </summary>
    Task MigrateAsync(string component, IReadOnlyList<string> migrations, CancellationToken cancellationToken = default);

    /// <summary>One item with its attempt log, newest attempt first; null if the queue has no such key.</summary>
    Task<WorkItem?> GetAsync(string queue, string key, CancellationToken cancellationToken = default);

    /// <summary>A page of items matching <paramref name="query"/>, newest first, without their attempt logs.</summary>
    Task<WorkPage> QueryAsync(string queue, WorkQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// The attempt log entries of the queue's items that finished at or after <paramref name="finishedFrom"/>, latest
    /// finish first, at most <paramref name="maxEntries"/> (activity over a recent window, such as a chart's hour).
    /// </summary>
    Task<IReadOnlyList<QueuedWorkAttempt>> ListAttemptsAsync(string queue, DateTimeOffset finishedFrom, int maxEntries, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes an item due at <paramref name="dueAt"/>. A finished item (succeeded or failed) becomes pending
    /// again with one more attempt allowed; a pending item that is not leased is brought forward to
    /// <paramref name="dueAt"/> if that is sooner; a leased or waiting item is left alone. Returns false if there is no such key.
    /// </summary>
    Task<bool> RequeueAsync(string queue, string key, DateTimeOffset dueAt, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes every item that failed at or after <paramref name="failedSince"/> pending again, due at
    /// <paramref name="dueAt"/>, with one more attempt allowed. Returns how many.
    /// </summary>
    Task<int> RequeueFailedAsync(string queue, DateTimeOffset failedSince, DateTimeOffset dueAt, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes up to <paramref name="maxItems"/> finished items (succeeded or failed) that finished before
    /// <paramref name="finishedBefore"/>, with their attempt logs. Returns how many were deleted.
    /// </summary>
    Task<int> PruneAsync(string queue, DateTimeOffset finishedBefore, int maxItems, CancellationToken cancellationToken = default);

    /// <summary>
    /// Gives back to the file system up to <paramref name="maxPages"/> pages that deletes (pruning) left free, in one
    /// short write, so the database file shrinks without stopping the process; returns how many. SQLite: an incremental
    /// vacuum step (a database created before Switchboard set <c>auto_vacuum</c> keeps its free pages for reuse and
    /// returns 0). PostgreSQL: 0, its autovacuum does this.
    /// </summary>
    Task<int> ReclaimSpaceAsync(int maxPages, CancellationToken cancellationToken = default);

    /// <summary>How many items of the queue are not finished yet (due or not, leased, or waiting).</summary>
    Task<long> CountPendingAsync(string queue, CancellationToken cancellationToken = default);

    /// <summary>The earliest time a pending item of the queue that is not leased becomes claimable, or null if there is none.</summary>
    Task<DateTimeOffset?> NextDueAtAsync(string queue, CancellationToken cancellationToken = default);
}
