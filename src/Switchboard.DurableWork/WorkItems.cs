namespace Switchboard.DurableWork;

/// <summary>Where an item is in its life. Only <see cref="Pending"/> items are ever claimed.</summary>
public enum WorkStatus
{
    Pending = 0,
    Succeeded = 1,
    Failed = 2,
    /// <summary>
    /// Held behind an earlier unfinished item with the same <see cref="NewWorkItem.OrderingKey"/>; becomes
    /// <see cref="Pending"/> when every earlier one has finished (succeeded or failed).
    /// </summary>
    Waiting = 3,
}

/// <summary>An item to enqueue.</summary>
/// <param name="Key">Unique within the queue: enqueueing a key that exists already does nothing.</param>
/// <param name="Payload">What the work is about, as text (JSON): searchable with <see cref="WorkQuery.PayloadContains"/>.</param>
/// <param name="DueAt">When the first attempt may start.</param>
/// <param name="MaxAttempts">How many attempts the item gets; informs the worker, which decides when to give up.</param>
/// <param name="Tag">A short label to filter on (an event type, a handler name).</param>
/// <param name="Context">Anything else the worker needs, opaque to the store and not searched.</param>
/// <param name="OrderingKey">
/// Items of one queue with the same ordering key are worked one at a time, in the order they were enqueued: an item
/// is held (<see cref="WorkStatus.Waiting"/>) until every earlier item with its key has finished. Null: no ordering.
/// </param>
public sealed record NewWorkItem(string Key, string Payload, DateTimeOffset DueAt, int MaxAttempts, string? Tag = null, string? Context = null, string? OrderingKey = null);

/// <summary>The proof of a claim: completing an item needs the lease it was claimed with.</summary>
public readonly record struct WorkLease(long ItemId, string Token);

/// <summary>
/// A claimed item: the store's worker holds <see cref="Lease"/> until it records a result, or until the store finds the
/// worker gone (its process restarted, or on PostgreSQL its heartbeat stopped) and gives the item to another.
/// </summary>
/// <param name="Attempts">
/// Attempts counted so far, an interrupted one included (see <see cref="WorkAttempt.IsInterruption"/>); the one about
/// to start is <c>Attempts + 1</c>.
/// </param>
/// <param name="DueAt">When the item was due (for an item taken over from a worker that stopped: when it was taken over).</param>
public sealed record ClaimedWorkItem(
    WorkLease Lease,
    string Key,
    string? Tag,
    string Payload,
    string? Context,
    int Attempts,
    int MaxAttempts,
    DateTimeOffset DueAt,
    string? OrderingKey = null);

/// <summary>What enqueueing one item did.</summary>
/// <param name="Added">False when the queue held the key already (that item is left as it is).</param>
/// <param name="Leased">The item, leased to the caller's worker, when it was added and may start now; null otherwise.</param>
public readonly record struct EnqueuedItem(bool Added, ClaimedWorkItem? Leased);

/// <summary>What became of a claimed item.</summary>
public enum WorkOutcome
{
    /// <summary>Done: the item is finished and counts one more attempt.</summary>
    Succeeded,
    /// <summary>Given up (dead-lettered): the item is finished and counts one more attempt.</summary>
    Failed,
    /// <summary>Try again at <see cref="WorkCompletion.RetryAt"/>; counts one more attempt.</summary>
    Retry,
    /// <summary>Not attempted (shutting down): give the item back, due at <see cref="WorkCompletion.RetryAt"/>, no attempt counted.</summary>
    Release,
    /// <summary>
    /// Recorded already, by the work itself (its completion was one operation of its own <see cref="WorkBatch"/>), or
    /// not this worker's to record (its lease was taken over): the worker writes nothing. Never given to the store.
    /// </summary>
    Recorded,
}

/// <summary>One entry of an item's attempt log (an attempt may log several entries, e.g. one per URL tried).</summary>
/// <param name="Detail">Free text (JSON) describing the entry; searchable with <see cref="WorkQuery.AttemptsContain"/>.</param>
public sealed record WorkAttemptRecord(int Attempt, DateTimeOffset StartedAt, DateTimeOffset FinishedAt, bool Succeeded, string Detail);

/// <summary>The result of working on one claimed item, with the attempt log entries to append.</summary>
public sealed record WorkCompletion(WorkLease Lease, WorkOutcome Outcome, DateTimeOffset? RetryAt, IReadOnlyList<WorkAttemptRecord> AttemptLog)
{
    /// <summary>
    /// Keep only the log entries of the item's newest this-many attempts: older entries are deleted in the same
    /// transaction, so an item attempted again and again keeps a bounded log (its <see cref="WorkItem.Attempts"/> still
    /// counts every attempt). Null (the default) keeps every entry.
    /// </summary>
    public int? KeepAttempts { get; init; }

    public static WorkCompletion Succeeded(WorkLease lease, IReadOnlyList<WorkAttemptRecord> log) => new(lease, WorkOutcome.Succeeded, null, log);

    public static WorkCompletion Failed(WorkLease lease, IReadOnlyList<WorkAttemptRecord> log) => new(lease, WorkOutcome.Failed, null, log);

    public static WorkCompletion Retry(WorkLease lease, DateTimeOffset retryAt, IReadOnlyList<WorkAttemptRecord> log) => new(lease, WorkOutcome.Retry, retryAt, log);

    public static WorkCompletion Release(WorkLease lease, DateTimeOffset dueAt) => new(lease, WorkOutcome.Release, dueAt, []);

    /// <summary>Nothing for the worker to write (see <see cref="WorkOutcome.Recorded"/>).</summary>
    public static WorkCompletion Recorded(WorkLease lease) => new(lease, WorkOutcome.Recorded, null, []);
}

/// <summary>What <see cref="IWorkStore.CompleteAndStartNextAsync"/> did.</summary>
/// <param name="Recorded">For each completion in order: recorded, or refused (its lease was no longer the item's).</param>
/// <param name="Started">Items the completions let start, leased to the store's worker.</param>
public sealed record WorkCompletionResult(IReadOnlyList<bool> Recorded, IReadOnlyList<ClaimedWorkItem> Started);

/// <summary>A stored attempt log entry.</summary>
public sealed record WorkAttempt(long Id, int Attempt, DateTimeOffset StartedAt, DateTimeOffset FinishedAt, bool Succeeded, string Detail)
{
    /// <summary>
    /// The detail the store writes for an attempt that was interrupted: the worker holding the item stopped (its process
    /// was killed or restarted, or it stopped heart-beating) before it recorded a result. Whether the work was done (a
    /// request sent, a handler run) is unknown; the item is due again at once, as the next attempt.
    /// </summary>
    public const string InterruptedDetail =
        "{\"interrupted\":true,\"detail\":\"the worker holding this item stopped before recording a result; the work may or may not have been done\"}";

    /// <summary>This entry records an interrupted attempt (see <see cref="InterruptedDetail"/>), not one the worker logged.</summary>
    public bool IsInterruption => Detail == InterruptedDetail;
}

/// <summary>An attempt log entry with the key of its item (<see cref="IWorkStore.ListAttemptsAsync"/>).</summary>
public sealed record QueuedWorkAttempt(string Key, WorkAttempt Attempt);

/// <summary>A stored item as queries see it.</summary>
public sealed record WorkItem
{
    public required long Id { get; init; }
    public required string Queue { get; init; }
    public required string Key { get; init; }
    public string? Tag { get; init; }
    public required string Payload { get; init; }
    public string? Context { get; init; }
    public string? OrderingKey { get; init; }
    public required WorkStatus Status { get; init; }
    public required int Attempts { get; init; }
    public required int MaxAttempts { get; init; }
    /// <summary>When a pending item may next be claimed (while it is leased: when it was leased).</summary>
    public required DateTimeOffset DueAt { get; init; }
    /// <summary>The lease token while a worker holds the item.</summary>
    public string? LeaseOwner { get; init; }
    public DateTimeOffset? LeasedAt { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    /// <summary>Newest first; in query results only with <see cref="WorkQuery.IncludeAttemptLog"/>.</summary>
    public IReadOnlyList<WorkAttempt> AttemptLog { get; init; } = [];
}

/// <summary>Filters for <see cref="IWorkStore.QueryAsync"/>; every filter set must match. Bounds are inclusive.</summary>
public sealed record WorkQuery
{
    /// <summary><see cref="WorkStatus.Pending"/> matches waiting items too.</summary>
    public WorkStatus? Status { get; init; }
    public string? Tag { get; init; }
    /// <summary>Any of these tags (besides <see cref="Tag"/>, if set too).</summary>
    public IReadOnlyList<string>? Tags { get; init; }
    public DateTimeOffset? CreatedFrom { get; init; }
    public DateTimeOffset? CreatedTo { get; init; }
    public DateTimeOffset? FinishedFrom { get; init; }
    public DateTimeOffset? FinishedTo { get; init; }
    /// <summary>Case-sensitive substring of the payload.</summary>
    public string? PayloadContains { get; init; }
    /// <summary>Case-sensitive substring of any attempt log entry's detail.</summary>
    public string? AttemptsContain { get; init; }
    /// <summary>Load each result's <see cref="WorkItem.AttemptLog"/> too (one more statement for the whole page).</summary>
    public bool IncludeAttemptLog { get; init; }

    /// <summary>
    /// With <see cref="IncludeAttemptLog"/>: at most this many entries per item, its newest, so a page costs memory bounded
    /// by its size whatever the items' histories. Null: every entry.
    /// </summary>
    public int? MaxAttemptLogEntries { get; init; }
    /// <summary>1-based.</summary>
    public int PageNumber { get; init; } = 1;
    public int PageSize { get; init; } = 20;

    public const int MaxPageSize = 250;

    /// <summary>The most tags one query may ask for.</summary>
    public const int MaxTags = 50;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> if a setting is out of range (the stores check every query so).</summary>
    public void Validate()
    {
        if (Tags is { Count: > MaxTags })
        {
            throw new ArgumentOutOfRangeException(nameof(Tags), Tags.Count, $"at most {MaxTags} tags");
        }

        if (PageNumber < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(PageNumber), PageNumber, "page numbers start at 1");
        }

        if (MaxAttemptLogEntries is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAttemptLogEntries), MaxAttemptLogEntries, "at least 1 entry per item, or null for all");
        }

        if (PageSize is < 1 or > MaxPageSize)
        {
            throw new ArgumentOutOfRangeException(nameof(PageSize), PageSize, $"page size is 1 to {MaxPageSize}");
        }
    }
}

/// <summary>One page of query results and the total number of matches.</summary>
public sealed record WorkPage(IReadOnlyList<WorkItem> Items, long TotalCount, int PageNumber, int PageSize)
{
    public int TotalPages => (int)((TotalCount + PageSize - 1) / PageSize);
}
