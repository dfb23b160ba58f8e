namespace Switchboard.DurableWork;

/// <summary>
/// Durable work with a due time and a lease. Items live in named queues and are unique on (queue, key).
/// A worker claims the items that are due, which leases them to it until the lease expires; it does the
/// work with no lock or connection held, then completes each item with the lease it got. A completion is
/// recorded only while that lease is still the item's: once a lease has expired, another worker may claim
/// the item again, and the first worker's late result is dropped.
/// </summary>
/// <remarks>
/// Times come from the store's <see cref="TimeProvider"/> (the application clock, not the database's), so
/// workers sharing a database need synchronised clocks; leases should be much longer than clock skew.
/// Every write is durable when its task completes.
/// </remarks>
public interface IWorkStore : IAsyncDisposable
{
    /// <summary>
    /// Adds items to <paramref name="queue"/> in one transaction. An item whose key the queue already holds is
    /// left as it is (idempotent on the key). Returns, for each item in order, true if it was added.
    /// </summary>
    Task<IReadOnlyList<bool>> EnqueueAsync(string queue, IReadOnlyList<NewWorkItem> items, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds items like <see cref="EnqueueAsync"/>, each already leased to <paramref name="leaseOwner"/> for
    /// <paramref name="leaseDuration"/>, for a worker in the caller's process to start at once without claiming
    /// them (no claim write, no polling). The items and their leases are committed before this returns; if the
    /// worker never completes them, the leases expire and any worker claims them. Returns, for each item in
    /// order, the leased item if it was added, null if the queue already held its key (that item is left as it is).
    /// </summary>
    Task<IReadOnlyList<ClaimedWorkItem?>> EnqueueLeasedAsync(string queue, IReadOnlyList<NewWorkItem> items, string leaseOwner, TimeSpan leaseDuration, CancellationToken cancellationToken = default);

    /// <summary>
    /// Leases up to <paramref name="maxItems"/> pending items whose due time has come (earliest first), and
    /// items whose lease expired, to a new lease of <paramref name="leaseOwner"/> for <paramref name="leaseDuration"/>.
    /// The claim is committed before this returns.
    /// </summary>
    Task<IReadOnlyList<ClaimedWorkItem>> ClaimAsync(string queue, string leaseOwner, int maxItems, TimeSpan leaseDuration, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records outcomes and their attempt log entries in one transaction. Returns, for each completion in
    /// order, true if it was recorded, false if its lease was no longer the item's (nothing of it is stored).
    /// </summary>
    Task<IReadOnlyList<bool>> CompleteAsync(IReadOnlyList<WorkCompletion> completions, CancellationToken cancellationToken = default);

    /// <summary>One item with its attempt log, newest attempt first; null if the queue has no such key.</summary>
    Task<WorkItem?> GetAsync(string queue, string key, CancellationToken cancellationToken = default);

    /// <summary>A page of items matching <paramref name="query"/>, newest first, without their attempt logs.</summary>
    Task<WorkPage> QueryAsync(string queue, WorkQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes an item due at <paramref name="dueAt"/>. A finished item (succeeded or failed) becomes pending
    /// again with one more attempt allowed; a pending item that is not leased is brought forward to
    /// <paramref name="dueAt"/> if that is sooner; a leased item is left alone. Returns false if there is no such key.
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

    /// <summary>How many items of the queue are pending (due or not, leased or not).</summary>
    Task<long> CountPendingAsync(string queue, CancellationToken cancellationToken = default);

    /// <summary>The earliest time a pending item of the queue becomes claimable, or null if none is pending.</summary>
    Task<DateTimeOffset?> NextDueAtAsync(string queue, CancellationToken cancellationToken = default);
}
