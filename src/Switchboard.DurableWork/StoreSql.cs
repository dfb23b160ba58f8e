using System.Data.Common;
using System.Text;

namespace Switchboard.DurableWork;

/// <summary>
/// What both backends share: the column layout, times as Unix milliseconds (one representation on both, no
/// time-zone conversions), argument checks, and the query filter, written in SQL both dialects accept.
/// </summary>
internal static class StoreSql
{
    public const string ItemColumns =
        "w.id, w.queue, w.key, w.tag, w.payload, w.context, w.status, w.attempts, w.max_attempts, w.due_at, " +
        "w.lease_owner, w.leased_at, w.created_at, w.updated_at, w.finished_at, w.ordering_key";

    /// <summary>What a claim reads of an item, in the order <see cref="ReadClaimed"/> reads it.</summary>
    public const string ClaimColumns = "id, key, tag, payload, context, attempts, max_attempts, due_at, ordering_key";

    /// <summary>Statuses of items that are not finished: pending (due, leased or not) and waiting.</summary>
    public const string Unfinished = "(0, 3)";

    public const string AttemptColumns = "id, attempt, started_at, finished_at, succeeded, detail";

    public static long Ms(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    public static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    public static short StatusCode(WorkOutcome outcome) => outcome switch
    {
        WorkOutcome.Succeeded => (short)WorkStatus.Succeeded,
        WorkOutcome.Failed => (short)WorkStatus.Failed,
        _ => (short)WorkStatus.Pending,
    };

    public static int CountsAttempt(WorkOutcome outcome) => outcome == WorkOutcome.Release ? 0 : 1;

    /// <summary>A lease token unique to one claim, so a worker's own earlier claim of the same item is not "still its lease".</summary>
    public static string NewLeaseToken(string owner) => $"{owner}#{Guid.NewGuid():N}";

    /// <summary>In a batch: whether <paramref name="previous"/> is an enqueue (or an AddFinished) whose items, the last of <paramref name="enqueued"/>, were all added.</summary>
    public static bool AddedAll(WorkBatchOperation? previous, List<IReadOnlyList<EnqueuedItem>> enqueued) =>
        previous is WorkBatchOperation.Add or WorkBatchOperation.AddFinished && enqueued[^1].All(e => e.Added);

    /// <summary>The result of a batch's AddFinished that was not written.</summary>
    public static EnqueuedItem[] NoneAdded(IReadOnlyList<NewWorkItem> items) => [.. items.Select(_ => new EnqueuedItem(false, null))];

    public static void CheckQueue(string queue) => ArgumentException.ThrowIfNullOrWhiteSpace(queue);

    public static void CheckItems(IReadOnlyList<NewWorkItem> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        foreach (var item in items)
        {
            ArgumentNullException.ThrowIfNull(item, nameof(items));
            if (string.IsNullOrEmpty(item.Key))
            {
                throw new ArgumentException("every work item needs a non-empty key", nameof(items));
            }

            ArgumentNullException.ThrowIfNull(item.Payload, nameof(items));
            if (item.MaxAttempts < 1)
            {
                throw new ArgumentException($"work item '{item.Key}': MaxAttempts must be at least 1", nameof(items));
            }
        }
    }

    /// <summary>A worker's name: host, process id and a random part, so a restarted process is a new worker.</summary>
    public static string NewWorkerId() => $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>For each item, true if an earlier item of the same batch has its ordering key (so it must wait behind it).</summary>
    public static bool[] HeldBehindEarlierInBatch(IReadOnlyList<NewWorkItem> items)
    {
        var held = new bool[items.Count];
        HashSet<string>? seen = null;
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i].OrderingKey is { } key)
            {
                held[i] = !(seen ??= new(StringComparer.Ordinal)).Add(key);
            }
        }

        return held;
    }

    public static void CheckCompletions(IReadOnlyList<WorkCompletion> completions)
    {
        ArgumentNullException.ThrowIfNull(completions);
        foreach (var completion in completions)
        {
            ArgumentNullException.ThrowIfNull(completion, nameof(completions));
            if (completion.Outcome is WorkOutcome.Retry or WorkOutcome.Release && completion.RetryAt is null)
            {
                throw new ArgumentException($"a {completion.Outcome} completion needs RetryAt", nameof(completions));
            }

            if (completion.Outcome == WorkOutcome.Recorded)
            {
                throw new ArgumentException("a Recorded completion is recorded already: there is nothing to store", nameof(completions));
            }

            if (completion.KeepAttempts is < 1)
            {
                throw new ArgumentException($"KeepAttempts must be at least 1 (or null to keep every entry); got {completion.KeepAttempts}", nameof(completions));
            }
        }
    }

    /// <summary>
    /// Deletes the log entries of one item older than its newest <c>@keep</c> attempts (<see cref="WorkCompletion.KeepAttempts"/>);
    /// run after the completion's update, so <c>attempts</c> counts the attempt just logged.
    /// </summary>
    public const string TrimAttemptLogSql =
        "DELETE FROM work_attempts WHERE item_id = @id AND attempt <= (SELECT attempts FROM work_items WHERE id = @id) - @keep";

    /// <summary>
    /// The recorded completions whose item's log may now hold more attempts than they keep: those that logged an attempt
    /// numbered past <see cref="WorkCompletion.KeepAttempts"/> (an item's first attempts never need a trim).
    /// </summary>
    public static IEnumerable<(long ItemId, int Keep)> AttemptLogTrims(IReadOnlyList<WorkCompletion> completions, IReadOnlyList<bool> recorded)
    {
        for (var i = 0; i < completions.Count; i++)
        {
            if (recorded[i] && completions[i].KeepAttempts is { } keep && completions[i].AttemptLog.Any(a => a.Attempt > keep))
            {
                yield return (completions[i].Lease.ItemId, keep);
            }
        }
    }

    /// <summary>
    /// The attempt logs of a page of items (<c>{ids}</c>: the list of their ids or an array parameter), newest first, at most
    /// <c>@per_item</c> entries each; read with <see cref="WithAttemptLogsAsync"/>.
    /// </summary>
    public static string PageAttemptLogsSql(string ids) =>
        $"SELECT {AttemptColumns}, item_id FROM (SELECT {AttemptColumns}, item_id, row_number() OVER (PARTITION BY item_id ORDER BY id DESC) AS n " +
        $"FROM work_attempts WHERE item_id {ids}) a WHERE n <= @per_item ORDER BY id DESC";

    /// <summary>How many items match a query's <see cref="Where"/>.</summary>
    public static string CountSql(string where) => $"SELECT count(*) FROM work_items w WHERE {where}";

    /// <summary>A page of the items that match a query's <see cref="Where"/>, newest first (<c>@limit</c>, <c>@offset</c>).</summary>
    public static string PageSql(string where) =>
        $"SELECT {ItemColumns} FROM work_items w WHERE {where} ORDER BY w.created_at DESC, w.id DESC LIMIT @limit OFFSET @offset";

    public static long PerItem(WorkQuery query) => query.MaxAttemptLogEntries ?? long.MaxValue;

    /// <summary>
    /// The WHERE clause of a query (on <c>work_items w</c>) and its parameters. Substring filters use
    /// <paramref name="position"/> (<c>instr</c> on SQLite, <c>strpos</c> on PostgreSQL): exact and
    /// case-sensitive on both, with no LIKE wildcards to escape.
    /// </summary>
    public static string Where(string queue, WorkQuery query, string position, Action<string, object> addParameter)
    {
        var sql = new StringBuilder("w.queue = @queue");
        addParameter("queue", queue);
        if (query.Status is WorkStatus.Pending or WorkStatus.Waiting)
        {
            sql.Append($" AND w.status IN {Unfinished}");
        }
        else if (query.Status is { } status)
        {
            sql.Append(" AND w.status = @status");
            addParameter("status", (short)status);
        }

        if (query.Tag is { } tag)
        {
            sql.Append(" AND w.tag = @tag");
            addParameter("tag", tag);
        }

        if (query.Tags is { Count: > 0 } tags)
        {
            sql.Append(" AND w.tag IN (");
            for (var i = 0; i < tags.Count; i++)
            {
                sql.Append(i == 0 ? "" : ", ").Append("@tag_").Append(i);
                addParameter($"tag_{i}", tags[i]);
            }

            sql.Append(')');
        }

        Range("w.created_at", "created", query.CreatedFrom, query.CreatedTo);
        Range("w.finished_at", "finished", query.FinishedFrom, query.FinishedTo);
        if (!string.IsNullOrEmpty(query.PayloadContains))
        {
            sql.Append($" AND {position}(w.payload, @payload_contains) > 0");
            addParameter("payload_contains", query.PayloadContains);
        }

        if (!string.IsNullOrEmpty(query.AttemptsContain))
        {
            sql.Append($" AND EXISTS (SELECT 1 FROM work_attempts a WHERE a.item_id = w.id AND {position}(a.detail, @attempts_contain) > 0)");
            addParameter("attempts_contain", query.AttemptsContain);
        }

        return sql.ToString();

        void Range(string column, string name, DateTimeOffset? from, DateTimeOffset? to)
        {
            if (from is { } f)
            {
                sql.Append($" AND {column} >= @{name}_from");
                addParameter($"{name}_from", Ms(f));
            }

            if (to is { } t)
            {
                sql.Append($" AND {column} <= @{name}_to");
                addParameter($"{name}_to", Ms(t));
            }
        }
    }

    public static WorkItem ReadItem(DbDataReader reader) => new()
    {
        Id = reader.GetInt64(0),
        Queue = reader.GetString(1),
        Key = reader.GetString(2),
        Tag = reader.IsDBNull(3) ? null : reader.GetString(3),
        Payload = reader.GetString(4),
        Context = reader.IsDBNull(5) ? null : reader.GetString(5),
        Status = (WorkStatus)reader.GetInt16(6),
        Attempts = reader.GetInt32(7),
        MaxAttempts = reader.GetInt32(8),
        DueAt = Time(reader.GetInt64(9)),
        LeaseOwner = reader.IsDBNull(10) ? null : reader.GetString(10),
        LeasedAt = reader.IsDBNull(11) ? null : Time(reader.GetInt64(11)),
        CreatedAt = Time(reader.GetInt64(12)),
        UpdatedAt = Time(reader.GetInt64(13)),
        FinishedAt = reader.IsDBNull(14) ? null : Time(reader.GetInt64(14)),
        OrderingKey = reader.IsDBNull(15) ? null : reader.GetString(15),
    };

    /// <summary>A claimed item from a row of <see cref="ClaimColumns"/>.</summary>
    public static ClaimedWorkItem ReadClaimed(DbDataReader reader, string token) => new(
        new WorkLease(reader.GetInt64(0), token),
        reader.GetString(1),
        reader.IsDBNull(2) ? null : reader.GetString(2),
        reader.GetString(3),
        reader.IsDBNull(4) ? null : reader.GetString(4),
        reader.GetInt32(5),
        reader.GetInt32(6),
        Time(reader.GetInt64(7)),
        reader.IsDBNull(8) ? null : reader.GetString(8));

    /// <summary>The item just added, leased with <paramref name="token"/> (the caller's copy: nothing to read back).</summary>
    public static ClaimedWorkItem Leased(NewWorkItem item, long id, string token) =>
        new(new WorkLease(id, token), item.Key, item.Tag, item.Payload, item.Context, 0, item.MaxAttempts, item.DueAt, item.OrderingKey);

    public static void CheckMigrations(string component, IReadOnlyList<string> migrations)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(component);
        ArgumentNullException.ThrowIfNull(migrations);
        if (migrations.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException($"a migration of {component} is empty", nameof(migrations));
        }
    }

    /// <summary>
    /// The attempts of one queue finished since a time, newest first (<see cref="IWorkStore.ListAttemptsAsync"/>); reads as
    /// <see cref="ReadQueuedAttempt"/>. CROSS JOIN makes SQLite (which has no statistics) start from the attempts' finish
    /// times; PostgreSQL plans it as any inner join.
    /// </summary>
    public const string RecentAttemptsSql =
        "SELECT a.id, a.attempt, a.started_at, a.finished_at, a.succeeded, a.detail, w.key FROM work_attempts a CROSS JOIN work_items w " +
        "WHERE w.id = a.item_id AND a.finished_at >= @from AND w.queue = @queue ORDER BY a.finished_at DESC, a.id DESC LIMIT @limit";

    public static QueuedWorkAttempt ReadQueuedAttempt(DbDataReader reader) => new(reader.GetString(6), ReadAttempt(reader));

    public static WorkAttempt ReadAttempt(DbDataReader reader) => new(
        reader.GetInt64(0),
        reader.GetInt32(1),
        Time(reader.GetInt64(2)),
        Time(reader.GetInt64(3)),
        reader.GetBoolean(4),
        reader.GetString(5));

    /// <summary>
    /// The attempt logs of a page of items, read from rows of <c>{AttemptColumns}, item_id</c> ordered newest first,
    /// each item given its own.
    /// </summary>
    public static async Task<List<WorkItem>> WithAttemptLogsAsync(List<WorkItem> items, DbDataReader reader, CancellationToken cancellationToken)
    {
        var logs = new Dictionary<long, List<WorkAttempt>>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var itemId = reader.GetInt64(6);
            if (!logs.TryGetValue(itemId, out var log))
            {
                logs[itemId] = log = [];
            }

            log.Add(ReadAttempt(reader));
        }

        return [.. items.Select(item => logs.TryGetValue(item.Id, out var log) ? item with { AttemptLog = log } : item)];
    }

    public static async Task<List<WorkAttempt>> ReadAttemptsAsync(DbDataReader reader, CancellationToken cancellationToken)
    {
        var attempts = new List<WorkAttempt>();
        while (await reader.ReadAsync(cancellationToken))
        {
            attempts.Add(ReadAttempt(reader));
        }

        return attempts;
    }
}
