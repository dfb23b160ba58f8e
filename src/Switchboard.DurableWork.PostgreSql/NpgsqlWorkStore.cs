using Npgsql;

namespace Switchboard.DurableWork.PostgreSql;

/// <summary>
/// The shared store: PostgreSQL for several worker processes. A claim is one auto-committed statement
/// (<c>FOR UPDATE SKIP LOCKED</c>, then the lease is written): no row lock and no connection is held while
/// the worker does the work. Batches travel as arrays (<c>unnest</c>), one statement per batch. Leases last while the
/// worker's heartbeat does (<see cref="PostgresWorkers"/>).
/// </summary>
internal sealed class NpgsqlWorkStore : IWorkStore, INotifyWorkReturned
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _time;
    private readonly PostgresWorkers _workers;
    private int _disposed;

    private NpgsqlWorkStore(NpgsqlDataSource dataSource, TimeProvider time, PostgresWorkers workers)
    {
        _dataSource = dataSource;
        _time = time;
        _workers = workers;
    }

    public string WorkerId => _workers.WorkerId;

    public WorkStoreBackend Backend => WorkStoreBackend.Postgres;

    internal NpgsqlDataSource DataSource => _dataSource;

    internal TimeProvider Time => _time;

    public event Action<IReadOnlyList<string>>? WorkReturned
    {
        add => _workers.WorkReturned += value;
        remove => _workers.WorkReturned -= value;
    }

    public static async Task<IWorkStore> OpenAsync(NpgsqlDataSource dataSource, PostgresWorkStoreOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        await PostgresSchema.MigrateAsync(dataSource, cancellationToken);
        var workers = new PostgresWorkers(dataSource, options, time, StoreSql.NewWorkerId());
        await workers.StartAsync(cancellationToken);
        return new NpgsqlWorkStore(dataSource, time, workers);
    }

    /// <summary>Tests: stops and restarts the heartbeat, as pausing and continuing the process would (see <see cref="PostgresWorkers.Paused"/>).</summary>
    internal bool HeartbeatPaused
    {
        get => _workers.Paused;
        set => _workers.Paused = value;
    }

    /// <summary>Takes over the items of stopped workers now rather than at the next heartbeat (tests); returns how many.</summary>
    internal Task<int> TakeOverStoppedAsync(CancellationToken cancellationToken = default) => _workers.TakeOverStoppedAsync(cancellationToken);

    public async Task<IReadOnlyList<bool>> EnqueueAsync(string queue, IReadOnlyList<NewWorkItem> items, CancellationToken cancellationToken = default) =>
        [.. (await EnqueueAsync(queue, items, leased: false, cancellationToken)).Select(e => e.Added)];

    public Task<IReadOnlyList<EnqueuedItem>> EnqueueLeasedAsync(string queue, IReadOnlyList<NewWorkItem> items, CancellationToken cancellationToken = default) =>
        EnqueueAsync(queue, items, leased: true, cancellationToken);

    private async Task<IReadOnlyList<EnqueuedItem>> EnqueueAsync(string queue, IReadOnlyList<NewWorkItem> items, bool leased, CancellationToken cancellationToken)
    {
        StoreSql.CheckQueue(queue);
        StoreSql.CheckItems(items);
        if (items.Count == 0)
        {
            return [];
        }

        if (items.All(i => i.OrderingKey is null))
        {
            // One auto-committed statement: no transaction round trips.
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            return await new PostgresWorkTransaction(this, connection, null).EnqueueAsync(queue, items, leased, cancellationToken);
        }

        await using (var connection = await _dataSource.OpenConnectionAsync(cancellationToken))
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var enqueued = await new PostgresWorkTransaction(this, connection, transaction).EnqueueAsync(queue, items, leased, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return enqueued;
        }
    }

    public async Task<WorkBatchResult> CommitAsync(WorkBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        List<IReadOnlyList<EnqueuedItem>> enqueued;
        try
        {
            enqueued = await new PostgresWorkTransaction(this, connection, transaction).ApplyAsync(batch, _time.GetUtcNow(), cancellationToken);
        }
        catch (WorkBatchRefusedException refused)
        {
            await transaction.RollbackAsync(CancellationToken.None);
            return refused.Result;
        }

        await transaction.CommitAsync(cancellationToken);
        batch.RunCommitted(enqueued);
        return WorkBatchResult.Committed;
    }

    public async Task<T> ReadAsync<T>(Func<IWorkReader, ValueTask<T>> read, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(read);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        return await read(new PostgresWorkTransaction(this, connection, transaction));
    }

    public Task MigrateAsync(string component, IReadOnlyList<string> migrations, CancellationToken cancellationToken = default)
    {
        StoreSql.CheckMigrations(component, migrations);
        return PostgresSchema.MigrateComponentAsync(_dataSource, component, migrations, cancellationToken);
    }

    public async Task<IReadOnlyList<ClaimedWorkItem>> ClaimAsync(string queue, int maxItems, CancellationToken cancellationToken = default)
    {
        StoreSql.CheckQueue(queue);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxItems);
        var token = StoreSql.NewLeaseToken(WorkerId);
        // Only while this worker's row exists: a worker presumed stopped claims nothing until its heartbeat registers it
        // again, so what it claims is never given away as an orphan's.
        await using var claim = _dataSource.CreateCommand(
            "WITH due AS (" +
            "  SELECT id FROM work_items WHERE queue = @queue AND status = 0 AND lease_owner IS NULL AND due_at <= @now " +
            "  AND EXISTS (SELECT 1 FROM work_workers WHERE id = @worker) " +
            "  ORDER BY due_at LIMIT @limit FOR UPDATE SKIP LOCKED) " +
            "UPDATE work_items AS w SET lease_owner = @token, lease_worker = @worker, leased_at = @now, updated_at = @now " +
            "FROM due WHERE w.id = due.id " +
            "RETURNING w.id, w.key, w.tag, w.payload, w.context, w.attempts, w.max_attempts, w.due_at, w.ordering_key");
        claim.Parameters.Add(new NpgsqlParameter<string>("queue", queue));
        claim.Parameters.Add(new NpgsqlParameter<long>("now", StoreSql.Ms(_time.GetUtcNow())));
        claim.Parameters.Add(new NpgsqlParameter<int>("limit", maxItems));
        claim.Parameters.Add(new NpgsqlParameter<string>("token", token));
        claim.Parameters.Add(new NpgsqlParameter<string>("worker", WorkerId));
        var claimed = new List<ClaimedWorkItem>();
        await using (var reader = await claim.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                claimed.Add(StoreSql.ReadClaimed(reader, token));
            }
        }

        claimed.Sort((a, b) => a.DueAt.CompareTo(b.DueAt));
        return claimed;
    }

    public async Task<IReadOnlyList<bool>> CompleteAsync(IReadOnlyList<WorkCompletion> completions, CancellationToken cancellationToken = default) =>
        (await CompleteAsync(completions, startNext: false, cancellationToken)).Recorded;

    public Task<WorkCompletionResult> CompleteAndStartNextAsync(IReadOnlyList<WorkCompletion> completions, CancellationToken cancellationToken = default) =>
        CompleteAsync(completions, startNext: true, cancellationToken);

    private async Task<WorkCompletionResult> CompleteAsync(IReadOnlyList<WorkCompletion> completions, bool startNext, CancellationToken cancellationToken)
    {
        StoreSql.CheckCompletions(completions);
        if (completions.Count == 0)
        {
            return new WorkCompletionResult([], []);
        }

        var now = StoreSql.Ms(_time.GetUtcNow());
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction);
        // The ordering keys of the items first, locked (as enqueueing them does), so that an item enqueued behind one of
        // them either sees it finished or is seen waiting by the look for the next one below.
        var lockKeys = new NpgsqlBatchCommand(
            "SELECT pg_advisory_xact_lock(hashtextextended(g.queue || ':' || g.ordering_key, 0)) FROM (" +
            "  SELECT DISTINCT queue, ordering_key FROM work_items WHERE id = ANY(@ids) AND ordering_key IS NOT NULL ORDER BY queue, ordering_key) g");
        lockKeys.Parameters.Add(new NpgsqlParameter<long[]>("ids", [.. completions.Select(c => c.Lease.ItemId)]));
        var update = new NpgsqlBatchCommand(
            "UPDATE work_items AS w SET status = r.status, attempts = w.attempts + r.counted, " +
            "due_at = CASE WHEN r.status = 0 THEN r.due_at ELSE w.due_at END, " +
            "finished_at = CASE WHEN r.status = 0 THEN NULL ELSE @now END, " +
            "lease_owner = NULL, lease_worker = NULL, leased_at = NULL, updated_at = @now " +
            "FROM unnest(@ids, @tokens, @statuses, @due_at, @counted) AS r(id, token, status, due_at, counted) " +
            "WHERE w.id = r.id AND w.lease_owner = r.token AND w.status = 0 " +
            "RETURNING w.id, r.token, w.queue, w.ordering_key, w.status");
        update.Parameters.Add(new NpgsqlParameter<long>("now", now));
        update.Parameters.Add(new NpgsqlParameter<long[]>("ids", [.. completions.Select(c => c.Lease.ItemId)]));
        update.Parameters.Add(new NpgsqlParameter<string[]>("tokens", [.. completions.Select(c => c.Lease.Token)]));
        update.Parameters.Add(new NpgsqlParameter<short[]>("statuses", [.. completions.Select(c => StoreSql.StatusCode(c.Outcome))]));
        update.Parameters.Add(new NpgsqlParameter<long[]>("due_at", [.. completions.Select(c => c.RetryAt is { } at ? StoreSql.Ms(at) : now)]));
        update.Parameters.Add(new NpgsqlParameter<int[]>("counted", [.. completions.Select(c => StoreSql.CountsAttempt(c.Outcome))]));
        batch.BatchCommands.Add(lockKeys);
        batch.BatchCommands.Add(update);
        var recordedLeases = new HashSet<WorkLease>();
        var finishedInOrder = new List<(string Queue, string OrderingKey)>();
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                recordedLeases.Add(new WorkLease(reader.GetInt64(0), reader.GetString(1)));
                if (!reader.IsDBNull(3) && reader.GetInt16(4) is (short)WorkStatus.Succeeded or (short)WorkStatus.Failed)
                {
                    finishedInOrder.Add((reader.GetString(2), reader.GetString(3)));
                }
            }
        }

        // The same lease given twice in one batch is recorded once: the first occurrence reports it.
        var recorded = completions.Select(c => recordedLeases.Remove(c.Lease)).ToArray();
        var log = completions.Where((_, i) => recorded[i]).SelectMany(c => c.AttemptLog.Select(a => (c.Lease.ItemId, a))).ToList();
        if (log.Count > 0)
        {
            await using var insert = new NpgsqlCommand(
                "INSERT INTO work_attempts (item_id, attempt, started_at, finished_at, succeeded, detail) " +
                "SELECT * FROM unnest(@item_ids, @attempts, @started_at, @finished_at, @succeeded, @details)", connection, transaction);
            insert.Parameters.Add(new NpgsqlParameter<long[]>("item_ids", [.. log.Select(l => l.ItemId)]));
            insert.Parameters.Add(new NpgsqlParameter<int[]>("attempts", [.. log.Select(l => l.a.Attempt)]));
            insert.Parameters.Add(new NpgsqlParameter<long[]>("started_at", [.. log.Select(l => StoreSql.Ms(l.a.StartedAt))]));
            insert.Parameters.Add(new NpgsqlParameter<long[]>("finished_at", [.. log.Select(l => StoreSql.Ms(l.a.FinishedAt))]));
            insert.Parameters.Add(new NpgsqlParameter<bool[]>("succeeded", [.. log.Select(l => l.a.Succeeded)]));
            insert.Parameters.Add(new NpgsqlParameter<string[]>("details", [.. log.Select(l => l.a.Detail)]));
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var (itemId, keep) in StoreSql.AttemptLogTrims(completions, recorded))
        {
            await using var trim = new NpgsqlCommand(StoreSql.TrimAttemptLogSql, connection, transaction);
            trim.Parameters.Add(new NpgsqlParameter<long>("id", itemId));
            trim.Parameters.Add(new NpgsqlParameter<int>("keep", keep));
            await trim.ExecuteNonQueryAsync(cancellationToken);
        }

        var started = new List<ClaimedWorkItem>();
        if (finishedInOrder.Count > 0)
        {
            // The next of each key starts; leased to this worker (if due) when the caller starts it at once.
            var token = startNext ? StoreSql.NewLeaseToken(WorkerId) : null;
            await using var next = new NpgsqlCommand(
                "UPDATE work_items w SET status = 0, due_at = greatest(w.due_at, @now), updated_at = @now, " +
                "lease_owner = CASE WHEN @take AND w.due_at <= @now THEN @token END, " +
                "lease_worker = CASE WHEN @take AND w.due_at <= @now THEN @worker END, " +
                "leased_at = CASE WHEN @take AND w.due_at <= @now THEN @now END FROM (" +
                "  SELECT min(n.id) AS id FROM work_items n JOIN unnest(@queues, @keys) AS f(queue, ordering_key) " +
                "  ON n.queue = f.queue AND n.ordering_key = f.ordering_key WHERE n.status = 3 " +
                "  AND NOT EXISTS (SELECT 1 FROM work_items p WHERE p.queue = f.queue AND p.ordering_key = f.ordering_key AND p.status = 0) " +
                "  GROUP BY f.queue, f.ordering_key) nxt WHERE w.id = nxt.id " +
                "RETURNING w.id, w.key, w.tag, w.payload, w.context, w.attempts, w.max_attempts, w.due_at, w.ordering_key, w.lease_owner IS NOT NULL", connection, transaction);
            next.Parameters.Add(new NpgsqlParameter<long>("now", now));
            next.Parameters.Add(new NpgsqlParameter<string[]>("queues", [.. finishedInOrder.Select(f => f.Queue)]));
            next.Parameters.Add(new NpgsqlParameter<string[]>("keys", [.. finishedInOrder.Select(f => f.OrderingKey)]));
            next.Parameters.Add(new NpgsqlParameter<bool>("take", token is not null));
            next.Parameters.Add(new NpgsqlParameter<string?>("token", token));
            next.Parameters.Add(new NpgsqlParameter<string>("worker", WorkerId));
            await using var reader = await next.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                if (reader.GetBoolean(9))
                {
                    started.Add(StoreSql.ReadClaimed(reader, token!));
                }
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return new WorkCompletionResult(recorded, started);
    }

    public async Task<WorkItem?> GetAsync(string queue, string key, CancellationToken cancellationToken = default)
    {
        StoreSql.CheckQueue(queue);
        ArgumentNullException.ThrowIfNull(key);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        await using var select = new NpgsqlCommand(
            $"SELECT {StoreSql.ItemColumns} FROM work_items w WHERE w.queue = @queue AND w.key = @key", connection, transaction);
        select.Parameters.Add(new NpgsqlParameter<string>("queue", queue));
        select.Parameters.Add(new NpgsqlParameter<string>("key", key));
        WorkItem item;
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            item = StoreSql.ReadItem(reader);
        }

        await using var attempts = new NpgsqlCommand(
            $"SELECT {StoreSql.AttemptColumns} FROM work_attempts WHERE item_id = @id ORDER BY id DESC", connection, transaction);
        attempts.Parameters.Add(new NpgsqlParameter<long>("id", item.Id));
        await using (var reader = await attempts.ExecuteReaderAsync(cancellationToken))
        {
            return item with { AttemptLog = await StoreSql.ReadAttemptsAsync(reader, cancellationToken) };
        }
    }

    public async Task<WorkPage> QueryAsync(string queue, WorkQuery query, CancellationToken cancellationToken = default)
    {
        StoreSql.CheckQueue(queue);
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        await using var batch = _dataSource.CreateBatch();
        var count = new NpgsqlBatchCommand();
        var select = new NpgsqlBatchCommand();
        var where = StoreSql.Where(queue, query, "strpos", (name, value) =>
        {
            count.Parameters.Add(new NpgsqlParameter(name, value));
            select.Parameters.Add(new NpgsqlParameter(name, value));
        });
        count.CommandText = StoreSql.CountSql(where);
        select.CommandText = StoreSql.PageSql(where);
        select.Parameters.Add(new NpgsqlParameter<int>("limit", query.PageSize));
        select.Parameters.Add(new NpgsqlParameter<long>("offset", (long)(query.PageNumber - 1) * query.PageSize));
        batch.BatchCommands.Add(count);
        batch.BatchCommands.Add(select);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var total = reader.GetInt64(0);
        await reader.NextResultAsync(cancellationToken);
        var items = new List<WorkItem>();
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(StoreSql.ReadItem(reader));
        }

        await reader.DisposeAsync();
        if (query.IncludeAttemptLog && items.Count > 0)
        {
            await using var attempts = _dataSource.CreateCommand(StoreSql.PageAttemptLogsSql("= ANY(@ids)"));
            attempts.Parameters.Add(new NpgsqlParameter<long>("per_item", StoreSql.PerItem(query)));
            attempts.Parameters.Add(new NpgsqlParameter<long[]>("ids", [.. items.Select(item => item.Id)]));
            await using var attemptRows = await attempts.ExecuteReaderAsync(cancellationToken);
            items = await StoreSql.WithAttemptLogsAsync(items, attemptRows, cancellationToken);
        }

        return new WorkPage(items, total, query.PageNumber, query.PageSize);
    }

    public async Task<IReadOnlyList<QueuedWorkAttempt>> ListAttemptsAsync(string queue, DateTimeOffset finishedFrom, int maxEntries, CancellationToken cancellationToken = default)
    {
        StoreSql.CheckQueue(queue);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxEntries);
        await using var select = _dataSource.CreateCommand(StoreSql.RecentAttemptsSql);
        select.Parameters.Add(new NpgsqlParameter<long>("from", StoreSql.Ms(finishedFrom)));
        select.Parameters.Add(new NpgsqlParameter<string>("queue", queue));
        select.Parameters.Add(new NpgsqlParameter<int>("limit", maxEntries));
        var attempts = new List<QueuedWorkAttempt>();
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            attempts.Add(StoreSql.ReadQueuedAttempt(reader));
        }

        return attempts;
    }

    public async Task<bool> RequeueAsync(string queue, string key, DateTimeOffset dueAt, CancellationToken cancellationToken = default)
    {
        StoreSql.CheckQueue(queue);
        ArgumentNullException.ThrowIfNull(key);
        await using var requeue = _dataSource.CreateCommand(
            "WITH finished AS (" +
            "  UPDATE work_items SET status = 0, max_attempts = attempts + 1, due_at = @due_at, finished_at = NULL, updated_at = @now " +
            "  WHERE queue = @queue AND key = @key AND status IN (1, 2) RETURNING id), " +
            "pending AS (" +
            "  UPDATE work_items SET due_at = least(due_at, @due_at), updated_at = @now " +
            "  WHERE queue = @queue AND key = @key AND status = 0 AND lease_owner IS NULL RETURNING id) " +
            "SELECT count(*) FROM work_items WHERE queue = @queue AND key = @key");
        requeue.Parameters.Add(new NpgsqlParameter<string>("queue", queue));
        requeue.Parameters.Add(new NpgsqlParameter<string>("key", key));
        requeue.Parameters.Add(new NpgsqlParameter<long>("due_at", StoreSql.Ms(dueAt)));
        requeue.Parameters.Add(new NpgsqlParameter<long>("now", StoreSql.Ms(_time.GetUtcNow())));
        return (long)(await requeue.ExecuteScalarAsync(cancellationToken))! > 0;
    }

    public async Task<int> RequeueFailedAsync(string queue, DateTimeOffset failedSince, DateTimeOffset dueAt, CancellationToken cancellationToken = default)
    {
        StoreSql.CheckQueue(queue);
        await using var update = _dataSource.CreateCommand(
            "UPDATE work_items SET status = 0, max_attempts = attempts + 1, due_at = @due_at, finished_at = NULL, updated_at = @now " +
            "WHERE queue = @queue AND status = 2 AND finished_at >= @since");
        update.Parameters.Add(new NpgsqlParameter<long>("due_at", StoreSql.Ms(dueAt)));
        update.Parameters.Add(new NpgsqlParameter<long>("now", StoreSql.Ms(_time.GetUtcNow())));
        update.Parameters.Add(new NpgsqlParameter<string>("queue", queue));
        update.Parameters.Add(new NpgsqlParameter<long>("since", StoreSql.Ms(failedSince)));
        return await update.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<int> PruneAsync(string queue, DateTimeOffset finishedBefore, int maxItems, CancellationToken cancellationToken = default)
    {
        StoreSql.CheckQueue(queue);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxItems);
        // One auto-committed statement.
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        return await new PostgresWorkTransaction(this, connection, null).PruneAsync(queue, finishedBefore, maxItems, cancellationToken);
    }

    /// <summary>PostgreSQL's autovacuum makes deleted rows' space reusable on its own.</summary>
    public Task<int> ReclaimSpaceAsync(int maxPages, CancellationToken cancellationToken = default) => Task.FromResult(0);

    public async Task<long> CountPendingAsync(string queue, CancellationToken cancellationToken = default)
    {
        StoreSql.CheckQueue(queue);
        await using var count = _dataSource.CreateCommand($"SELECT count(*) FROM work_items WHERE queue = @queue AND status IN {StoreSql.Unfinished}");
        count.Parameters.Add(new NpgsqlParameter<string>("queue", queue));
        return (long)(await count.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<DateTimeOffset?> NextDueAtAsync(string queue, CancellationToken cancellationToken = default)
    {
        StoreSql.CheckQueue(queue);
        await using var next = _dataSource.CreateCommand("SELECT min(due_at) FROM work_items WHERE queue = @queue AND status = 0 AND lease_owner IS NULL");
        next.Parameters.Add(new NpgsqlParameter<string>("queue", queue));
        return await next.ExecuteScalarAsync(cancellationToken) is long ms ? StoreSql.Time(ms) : null;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await _workers.DisposeAsync();
        }
    }
}
