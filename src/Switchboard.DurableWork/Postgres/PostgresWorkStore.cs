using Npgsql;

namespace Switchboard.DurableWork.Postgres;

/// <summary>
/// The shared store: PostgreSQL for several worker processes. A claim is one auto-committed statement
/// (<c>FOR UPDATE SKIP LOCKED</c>, then the lease is written): no row lock and no connection is held while
/// the worker does the work. Batches travel as arrays (<c>unnest</c>), one statement per batch.
/// </summary>
internal sealed class PostgresWorkStore(NpgsqlDataSource dataSource, TimeProvider time) : IWorkStore
{
    public static async Task<IWorkStore> OpenAsync(NpgsqlDataSource dataSource, TimeProvider time, CancellationToken cancellationToken)
    {
        await PostgresSchema.MigrateAsync(dataSource, cancellationToken);
        return new PostgresWorkStore(dataSource, time);
    }

    public async Task<IReadOnlyList<bool>> EnqueueAsync(string queue, IReadOnlyList<NewWorkItem> items, CancellationToken cancellationToken = default)
    {
        StoreSql.CheckQueue(queue);
        StoreSql.CheckItems(items);
        if (items.Count == 0)
        {
            return [];
        }

        await using var insert = dataSource.CreateCommand(
            "INSERT INTO work_items (queue, key, tag, payload, context, status, attempts, max_attempts, due_at, created_at, updated_at) " +
            "SELECT @queue, r.key, r.tag, r.payload, r.context, 0, 0, r.max_attempts, r.due_at, @now, @now " +
            "FROM unnest(@keys, @tags, @payloads, @contexts, @max_attempts, @due_at) AS r(key, tag, payload, context, max_attempts, due_at) " +
            "ON CONFLICT (queue, key) DO NOTHING RETURNING key");
        insert.Parameters.Add(new NpgsqlParameter<string>("queue", queue));
        insert.Parameters.Add(new NpgsqlParameter<long>("now", StoreSql.Ms(time.GetUtcNow())));
        insert.Parameters.Add(new NpgsqlParameter<string[]>("keys", [.. items.Select(i => i.Key)]));
        insert.Parameters.Add(new NpgsqlParameter<string?[]>("tags", [.. items.Select(i => i.Tag)]));
        insert.Parameters.Add(new NpgsqlParameter<string[]>("payloads", [.. items.Select(i => i.Payload)]));
        insert.Parameters.Add(new NpgsqlParameter<string?[]>("contexts", [.. items.Select(i => i.Context)]));
        insert.Parameters.Add(new NpgsqlParameter<int[]>("max_attempts", [.. items.Select(i => i.MaxAttempts)]));
        insert.Parameters.Add(new NpgsqlParameter<long[]>("due_at", [.. items.Select(i => StoreSql.Ms(i.DueAt))]));
        var added = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = await insert.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                added.Add(reader.GetString(0));
            }
        }

        // A key given twice in one batch is added once: the first occurrence reports it.
        return [.. items.Select(i => added.Remove(i.Key))];
    }

    public async Task<IReadOnlyList<ClaimedWorkItem?>> EnqueueLeasedAsync(string queue, IReadOnlyList<NewWorkItem> items, string leaseOwner, TimeSpan leaseDuration, CancellationToken cancellationToken = default)
    {
        StoreSql.CheckQueue(queue);
        StoreSql.CheckItems(items);
        StoreSql.CheckClaim(leaseOwner, Math.Max(items.Count, 1), leaseDuration);
        if (items.Count == 0)
        {
            return [];
        }

        var now = time.GetUtcNow();
        var expires = now + leaseDuration;
        var token = StoreSql.NewLeaseToken(leaseOwner);
        await using var insert = dataSource.CreateCommand(
            "INSERT INTO work_items (queue, key, tag, payload, context, status, attempts, max_attempts, due_at, lease_owner, lease_expires_at, created_at, updated_at) " +
            "SELECT @queue, r.key, r.tag, r.payload, r.context, 0, 0, r.max_attempts, @expires, @token, @expires, @now, @now " +
            "FROM unnest(@keys, @tags, @payloads, @contexts, @max_attempts) AS r(key, tag, payload, context, max_attempts) " +
            "ON CONFLICT (queue, key) DO NOTHING RETURNING key, id");
        insert.Parameters.Add(new NpgsqlParameter<string>("queue", queue));
        insert.Parameters.Add(new NpgsqlParameter<long>("now", StoreSql.Ms(now)));
        insert.Parameters.Add(new NpgsqlParameter<long>("expires", StoreSql.Ms(expires)));
        insert.Parameters.Add(new NpgsqlParameter<string>("token", token));
        insert.Parameters.Add(new NpgsqlParameter<string[]>("keys", [.. items.Select(i => i.Key)]));
        insert.Parameters.Add(new NpgsqlParameter<string?[]>("tags", [.. items.Select(i => i.Tag)]));
        insert.Parameters.Add(new NpgsqlParameter<string[]>("payloads", [.. items.Select(i => i.Payload)]));
        insert.Parameters.Add(new NpgsqlParameter<string?[]>("contexts", [.. items.Select(i => i.Context)]));
        insert.Parameters.Add(new NpgsqlParameter<int[]>("max_attempts", [.. items.Select(i => i.MaxAttempts)]));
        var added = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var reader = await insert.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                added[reader.GetString(0)] = reader.GetInt64(1);
            }
        }

        // A key given twice in one batch is added once: the first occurrence reports it.
        return [.. items.Select(i => added.Remove(i.Key, out var id)
            ? new ClaimedWorkItem(new WorkLease(id, token), i.Key, i.Tag, i.Payload, i.Context, 0, i.MaxAttempts, i.DueAt, expires)
            : null)];
    }

    public async Task<IReadOnlyList<ClaimedWorkItem>> ClaimAsync(string queue, string leaseOwner, int maxItems, TimeSpan leaseDuration, CancellationToken cancellationToken = default)
    {
        StoreSql.CheckQueue(queue);
        StoreSql.CheckClaim(leaseOwner, maxItems, leaseDuration);
        var now = time.GetUtcNow();
        var expires = now + leaseDuration;
        var token = StoreSql.NewLeaseToken(leaseOwner);
        await using var claim = dataSource.CreateCommand(
            "WITH due AS (" +
            "  SELECT id, due_at FROM work_items WHERE queue = @queue AND status = 0 AND due_at <= @now " +
            "  ORDER BY due_at LIMIT @limit FOR UPDATE SKIP LOCKED) " +
            "UPDATE work_items AS w SET lease_owner = @token, lease_expires_at = @expires, due_at = @expires, updated_at = @now " +
            "FROM due WHERE w.id = due.id " +
            "RETURNING w.id, w.key, w.tag, w.payload, w.context, w.attempts, w.max_attempts, due.due_at");
        claim.Parameters.Add(new NpgsqlParameter<string>("queue", queue));
        claim.Parameters.Add(new NpgsqlParameter<long>("now", StoreSql.Ms(now)));
        claim.Parameters.Add(new NpgsqlParameter<int>("limit", maxItems));
        claim.Parameters.Add(new NpgsqlParameter<string>("token", token));
        claim.Parameters.Add(new NpgsqlParameter<long>("expires", StoreSql.Ms(expires)));
        var claimed = new List<ClaimedWorkItem>();
        await using (var reader = await claim.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                claimed.Add(new ClaimedWorkItem(
                    new WorkLease(reader.GetInt64(0), token),
                    reader.GetString(1),
                    reader.IsDBNull(2) ? null : reader.GetString(2),
                    reader.GetString(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4),
                    reader.GetInt32(5),
                    reader.GetInt32(6),
                    StoreSql.Time(reader.GetInt64(7)),
                    expires));
            }
        }

        claimed.Sort((a, b) => a.DueAt.CompareTo(b.DueAt));
        return claimed;
    }

    public async Task<IReadOnlyList<bool>> CompleteAsync(IReadOnlyList<WorkCompletion> completions, CancellationToken cancellationToken = default)
    {
        StoreSql.CheckCompletions(completions);
        if (completions.Count == 0)
        {
            return [];
        }

        var now = StoreSql.Ms(time.GetUtcNow());
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var update = new NpgsqlCommand(
            "UPDATE work_items AS w SET status = r.status, attempts = w.attempts + r.counted, " +
            "due_at = CASE WHEN r.status = 0 THEN r.due_at ELSE w.due_at END, " +
            "finished_at = CASE WHEN r.status = 0 THEN NULL ELSE @now END, " +
            "lease_owner = NULL, lease_expires_at = NULL, updated_at = @now " +
            "FROM unnest(@ids, @tokens, @statuses, @due_at, @counted) AS r(id, token, status, due_at, counted) " +
            "WHERE w.id = r.id AND w.lease_owner = r.token AND w.status = 0 " +
            "RETURNING w.id, r.token", connection, transaction);
        update.Parameters.Add(new NpgsqlParameter<long>("now", now));
        update.Parameters.Add(new NpgsqlParameter<long[]>("ids", [.. completions.Select(c => c.Lease.ItemId)]));
        update.Parameters.Add(new NpgsqlParameter<string[]>("tokens", [.. completions.Select(c => c.Lease.Token)]));
        update.Parameters.Add(new NpgsqlParameter<short[]>("statuses", [.. completions.Select(c => StoreSql.StatusCode(c.Outcome))]));
        update.Parameters.Add(new NpgsqlParameter<long[]>("due_at", [.. completions.Select(c => c.RetryAt is { } at ? StoreSql.Ms(at) : now)]));
        update.Parameters.Add(new NpgsqlParameter<int[]>("counted", [.. completions.Select(c => StoreSql.CountsAttempt(c.Outcome))]));
        var recordedLeases = new HashSet<WorkLease>();
        await using (var reader = await update.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                recordedLeases.Add(new WorkLease(reader.GetInt64(0), reader.GetString(1)));
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

        await transaction.CommitAsync(cancellationToken);
        return recorded;
    }

    public async Task<WorkItem?> GetAsync(string queue, string key, CancellationToken cancellationToken = default)
    {
        StoreSql.CheckQueue(queue);
        ArgumentNullException.ThrowIfNull(key);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
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
        await using var batch = dataSource.CreateBatch();
        var count = new NpgsqlBatchCommand();
        var select = new NpgsqlBatchCommand();
        var where = StoreSql.Where(queue, query, "strpos", (name, value) =>
        {
            count.Parameters.Add(new NpgsqlParameter(name, value));
            select.Parameters.Add(new NpgsqlParameter(name, value));
        });
        count.CommandText = $"SELECT count(*) FROM work_items w WHERE {where}";
        select.CommandText = $"SELECT {StoreSql.ItemColumns} FROM work_items w WHERE {where} ORDER BY w.created_at DESC, w.id DESC LIMIT @limit OFFSET @offset";
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

        return new WorkPage(items, total, query.PageNumber, query.PageSize);
    }

    public async Task<bool> RequeueAsync(string queue, string key, DateTimeOffset dueAt, CancellationToken cancellationToken = default)
    {
        StoreSql.CheckQueue(queue);
        ArgumentNullException.ThrowIfNull(key);
        await using var requeue = dataSource.CreateCommand(
            "WITH finished AS (" +
            "  UPDATE work_items SET status = 0, max_attempts = attempts + 1, due_at = @due_at, finished_at = NULL, updated_at = @now " +
            "  WHERE queue = @queue AND key = @key AND status <> 0 RETURNING id), " +
            "pending AS (" +
            "  UPDATE work_items SET due_at = least(due_at, @due_at), updated_at = @now " +
            "  WHERE queue = @queue AND key = @key AND status = 0 AND lease_owner IS NULL RETURNING id) " +
            "SELECT count(*) FROM work_items WHERE queue = @queue AND key = @key");
        requeue.Parameters.Add(new NpgsqlParameter<string>("queue", queue));
        requeue.Parameters.Add(new NpgsqlParameter<string>("key", key));
        requeue.Parameters.Add(new NpgsqlParameter<long>("due_at", StoreSql.Ms(dueAt)));
        requeue.Parameters.Add(new NpgsqlParameter<long>("now", StoreSql.Ms(time.GetUtcNow())));
        return (long)(await requeue.ExecuteScalarAsync(cancellationToken))! > 0;
    }

    public async Task<int> RequeueFailedAsync(string queue, DateTimeOffset failedSince, DateTimeOffset dueAt, CancellationToken cancellationToken = default)
    {
        StoreSql.CheckQueue(queue);
        await using var update = dataSource.CreateCommand(
            "UPDATE work_items SET status = 0, max_attempts = attempts + 1, due_at = @due_at, finished_at = NULL, updated_at = @now " +
            "WHERE queue = @queue AND status = 2 AND finished_at >= @since");
        update.Parameters.Add(new NpgsqlParameter<long>("due_at", StoreSql.Ms(dueAt)));
        update.Parameters.Add(new NpgsqlParameter<long>("now", StoreSql.Ms(time.GetUtcNow())));
        update.Parameters.Add(new NpgsqlParameter<string>("queue", queue));
        update.Parameters.Add(new NpgsqlParameter<long>("since", StoreSql.Ms(failedSince)));
        return await update.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<int> PruneAsync(string queue, DateTimeOffset finishedBefore, int maxItems, CancellationToken cancellationToken = default)
    {
        StoreSql.CheckQueue(queue);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxItems);
        await using var prune = dataSource.CreateCommand(
            "WITH old AS (" +
            "  DELETE FROM work_items WHERE id IN (" +
            "    SELECT id FROM work_items WHERE queue = @queue AND finished_at IS NOT NULL AND finished_at < @before " +
            "    ORDER BY finished_at LIMIT @limit FOR UPDATE SKIP LOCKED) RETURNING id), " +
            "attempts AS (DELETE FROM work_attempts WHERE item_id IN (SELECT id FROM old)) " +
            "SELECT count(*) FROM old");
        prune.Parameters.Add(new NpgsqlParameter<string>("queue", queue));
        prune.Parameters.Add(new NpgsqlParameter<long>("before", StoreSql.Ms(finishedBefore)));
        prune.Parameters.Add(new NpgsqlParameter<int>("limit", maxItems));
        return (int)(long)(await prune.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<long> CountPendingAsync(string queue, CancellationToken cancellationToken = default)
    {
        StoreSql.CheckQueue(queue);
        await using var count = dataSource.CreateCommand("SELECT count(*) FROM work_items WHERE queue = @queue AND status = 0");
        count.Parameters.Add(new NpgsqlParameter<string>("queue", queue));
        return (long)(await count.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<DateTimeOffset?> NextDueAtAsync(string queue, CancellationToken cancellationToken = default)
    {
        StoreSql.CheckQueue(queue);
        await using var next = dataSource.CreateCommand("SELECT min(due_at) FROM work_items WHERE queue = @queue AND status = 0");
        next.Parameters.Add(new NpgsqlParameter<string>("queue", queue));
        return await next.ExecuteScalarAsync(cancellationToken) is long ms ? StoreSql.Time(ms) : null;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
