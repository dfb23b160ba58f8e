using Microsoft.Data.Sqlite;

namespace Switchboard.DurableWork.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode. Writes go through the single <see cref="SqliteWriter"/>;
/// reads use their own pooled connections and run beside it (WAL lets readers and the writer overlap).
/// </summary>
internal sealed class SqliteWorkStore : IWorkStore
{
    private readonly string _connectionString;
    private readonly TimeProvider _time;
    private readonly SqliteWriter _writer;
    private readonly SqliteKeys _keys;
    private readonly SqliteFileLock _lock;
    private int _disposed;

    private SqliteWorkStore(string connectionString, TimeProvider time, SqliteWriter writer, SqliteKeys keys, SqliteFileLock fileLock, int recovered)
    {
        _connectionString = connectionString;
        _time = time;
        _writer = writer;
        _keys = keys;
        _lock = fileLock;
        RecoveredAtOpen = recovered;
    }

    public string WorkerId { get; } = StoreSql.NewWorkerId();

    public WorkStoreBackend Backend => WorkStoreBackend.Sqlite;

    /// <summary>How many items a process that is gone held leased when this store opened (each due again at once).</summary>
    public int RecoveredAtOpen { get; }

    public static async Task<IWorkStore> OpenAsync(SqliteWorkStoreOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        var path = Path.GetFullPath(options.DatabasePath);
        OwnerOnlyFiles.CreateDirectory(Path.GetDirectoryName(path)!);
        var fileLock = SqliteFileLock.Acquire(path);
        try
        {
            OwnerOnlyFiles.PrepareDatabase(path);
        }
        catch
        {
            fileLock.Dispose();
            throw;
        }

        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            // Microsoft.Data.Sqlite retries a busy database for up to this many seconds.
            DefaultTimeout = 30,
        }.ToString();

        var connection = new SqliteConnection(connectionString);
        var keys = new SqliteKeys(options.MinKeyGeneration);
        int recovered;
        try
        {
            await connection.OpenAsync(cancellationToken);
            SqliteSchema.Configure(connection, options.SynchronousFull);
            SqliteSchema.Migrate(connection);
            recovered = RecoverInterrupted(connection, time.GetUtcNow());
            SqliteKeys.MergeBacklog(connection, options.MinKeyGeneration);
            keys.Load(connection);
        }
        catch
        {
            await connection.DisposeAsync();
            fileLock.Dispose();
            throw;
        }

        return new SqliteWorkStore(connectionString, time, new SqliteWriter(connection, options.MaxWritesPerTransaction, keys), keys, fileLock, recovered);
    }

    /// <summary>
    /// This process holds the file lock, so every lease in the file belongs to a process that is gone: each such item's
    /// attempt is logged as interrupted and counted, and the item is due now, for the next attempt.
    /// </summary>
    private static int RecoverInterrupted(SqliteConnection connection, DateTimeOffset now)
    {
        using var transaction = connection.BeginTransaction(deferred: false);
        using var log = connection.CreateCommand();
        log.Transaction = transaction;
        log.CommandText =
            "INSERT INTO work_attempts (item_id, attempt, started_at, finished_at, succeeded, detail) " +
            "SELECT id, attempts + 1, coalesce(leased_at, updated_at), @now, 0, @detail FROM work_items WHERE status = 0 AND lease_owner IS NOT NULL";
        log.Parameters.AddWithValue("@now", StoreSql.Ms(now));
        log.Parameters.AddWithValue("@detail", WorkAttempt.InterruptedDetail);
        log.ExecuteNonQuery();
        using var release = connection.CreateCommand();
        release.Transaction = transaction;
        release.CommandText =
            "UPDATE work_items SET attempts = attempts + 1, lease_owner = NULL, leased_at = NULL, due_at = @now, updated_at = @now " +
            "WHERE status = 0 AND lease_owner IS NOT NULL";
        release.Parameters.AddWithValue("@now", StoreSql.Ms(now));
        var recovered = release.ExecuteNonQuery();
        transaction.Commit();
        return recovered;
    }

    public Task<IReadOnlyList<bool>> EnqueueAsync(string queue, IReadOnlyList<NewWorkItem> items, CancellationToken cancellationToken = default)
    {
        StoreSql.CheckQueue(queue);
        StoreSql.CheckItems(items);
        return _writer.WriteAsync<IReadOnlyList<bool>>(writer =>
            [.. Transaction(writer).Enqueue(queue, items, token: null).Select(e => e.Added)], cancellationToken);
    }

    public Task<IReadOnlyList<EnqueuedItem>> EnqueueLeasedAsync(string queue, IReadOnlyList<NewWorkItem> items, CancellationToken cancellationToken = default)
    {
        StoreSql.CheckQueue(queue);
        StoreSql.CheckItems(items);
        var token = StoreSql.NewLeaseToken(WorkerId);
        return _writer.WriteAsync<IReadOnlyList<EnqueuedItem>>(writer => Transaction(writer).Enqueue(queue, items, token), cancellationToken);
    }

    public async Task<WorkBatchResult> CommitAsync(WorkBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var token = StoreSql.NewLeaseToken(WorkerId);
        try
        {
            var enqueued = await _writer.WriteAsync(writer => Transaction(writer).Apply(batch, token), cancellationToken);
            batch.RunCommitted(enqueued);
            return WorkBatchResult.Committed;
        }
        catch (WorkBatchRefusedException refused)
        {
            return refused.Result;
        }
    }

    public async Task<T> ReadAsync<T>(Func<IWorkReader, ValueTask<T>> read, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(read);
        await using var connection = await OpenReadAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: true);
        return await read(new SqliteWorkReader(connection, transaction));
    }

    public Task MigrateAsync(string component, IReadOnlyList<string> migrations, CancellationToken cancellationToken = default)
    {
        StoreSql.CheckMigrations(component, migrations);
        return _writer.WriteAsync(writer =>
        {
            SqliteSchema.MigrateComponent(writer, component, migrations);
            return true;
        }, cancellationToken);
    }

    private SqliteWorkTransaction Transaction(SqliteWriter writer) => new(writer, _keys, _time.GetUtcNow());

    public Task<IReadOnlyList<ClaimedWorkItem>> ClaimAsync(string queue, int maxItems, CancellationToken cancellationToken = default)
    {
        StoreSql.CheckQueue(queue);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxItems);
        return _writer.WriteAsync<IReadOnlyList<ClaimedWorkItem>>(writer =>
        {
            var now = StoreSql.Ms(_time.GetUtcNow());
            var token = StoreSql.NewLeaseToken(WorkerId);
            var select = writer.Command(
                $"SELECT {StoreSql.ClaimColumns} FROM work_items " +
                "WHERE queue = @queue AND status = 0 AND lease_owner IS NULL AND due_at <= @now ORDER BY due_at LIMIT @limit");
            select.Set("@queue", queue);
            select.Set("@now", now);
            select.Set("@limit", maxItems);
            var claimed = new List<ClaimedWorkItem>();
            using (var reader = select.ExecuteReader())
            {
                while (reader.Read())
                {
                    claimed.Add(StoreSql.ReadClaimed(reader, token));
                }
            }

            if (claimed.Count > 0)
            {
                var lease = writer.Command(
                    "UPDATE work_items SET lease_owner = @token, leased_at = @now, updated_at = @now " +
                    "WHERE id IN (SELECT value FROM json_each(@ids))");
                lease.Set("@token", token);
                lease.Set("@now", now);
                lease.Set("@ids", $"[{string.Join(',', claimed.Select(c => c.Lease.ItemId))}]");
                lease.ExecuteNonQuery();
            }

            return claimed;
        }, cancellationToken);
    }

    public async Task<IReadOnlyList<bool>> CompleteAsync(IReadOnlyList<WorkCompletion> completions, CancellationToken cancellationToken = default) =>
        (await CompleteAsync(completions, startNext: false, cancellationToken)).Recorded;

    public Task<WorkCompletionResult> CompleteAndStartNextAsync(IReadOnlyList<WorkCompletion> completions, CancellationToken cancellationToken = default) =>
        CompleteAsync(completions, startNext: true, cancellationToken);

    private Task<WorkCompletionResult> CompleteAsync(IReadOnlyList<WorkCompletion> completions, bool startNext, CancellationToken cancellationToken)
    {
        StoreSql.CheckCompletions(completions);
        var now = StoreSql.Ms(_time.GetUtcNow());
        // One statement for the batch needs each item once; a batch naming an item twice goes row by row.
        // A single completion (the receiver's runner) is cheaper as plain statements than as JSON.
        var distinct = completions.Count > 1 && completions.Select(c => c.Lease.ItemId).Distinct().Count() == completions.Count;
        var rows = distinct ? SqliteRows.Completions(completions, now) : null;
        var attempts = distinct ? SqliteRows.Attempts(completions, _ => true) : null;
        var token = startNext ? StoreSql.NewLeaseToken(WorkerId) : null;
        // Completions answer no request: they ride along with the next write rather than commit alone, unless the
        // next item of an ordering key waits for them.
        return _writer.WriteAsync(writer =>
        {
            var finishedInOrder = new List<(string Queue, string OrderingKey)>();
            var recorded = rows is null || attempts is null
                ? CompleteRowByRow(writer, completions, now, finishedInOrder)
                : CompleteBatch(writer, completions, rows, attempts, now, finishedInOrder);
            foreach (var (itemId, keep) in StoreSql.AttemptLogTrims(completions, recorded))
            {
                var trim = writer.Command(StoreSql.TrimAttemptLogSql);
                trim.Set("@id", itemId);
                trim.Set("@keep", keep);
                trim.ExecuteNonQuery();
            }

            var started = new List<ClaimedWorkItem>();
            if (finishedInOrder.Count > 0)
            {
                var transaction = Transaction(writer);
                foreach (var (queue, orderingKey) in finishedInOrder)
                {
                    if (transaction.StartNextInOrder(queue, orderingKey, token) is { } next)
                    {
                        started.Add(next);
                    }
                }
            }

            return new WorkCompletionResult(recorded, started);
        }, cancellationToken, deferrable: !startNext);
    }

    /// <summary>The columns a completion's update returns: the item, and what its finishing means for its ordering key.</summary>
    private const string CompletedColumns = "id, queue, ordering_key, status";

    private static void NoteFinishedInOrder(SqliteDataReader reader, List<(string Queue, string OrderingKey)> finishedInOrder)
    {
        if (!reader.IsDBNull(2) && reader.GetInt32(3) is (int)WorkStatus.Succeeded or (int)WorkStatus.Failed)
        {
            finishedInOrder.Add((reader.GetString(1), reader.GetString(2)));
        }
    }

    private static bool[] CompleteBatch(
        SqliteWriter writer, IReadOnlyList<WorkCompletion> completions, string rows, string attempts, long now, List<(string Queue, string OrderingKey)> finishedInOrder)
    {
        var update = writer.Command(
            "UPDATE work_items SET status = r.status, attempts = attempts + r.counted, " +
            "due_at = CASE WHEN r.status = 0 THEN r.due_at ELSE work_items.due_at END, " +
            "finished_at = CASE WHEN r.status = 0 THEN NULL ELSE @now END, " +
            "lease_owner = NULL, leased_at = NULL, updated_at = @now " +
            "FROM (SELECT value ->> 0 AS id, value ->> 1 AS token, value ->> 2 AS status, value ->> 3 AS due_at, value ->> 4 AS counted FROM json_each(@rows)) AS r " +
            $"WHERE work_items.id = r.id AND work_items.lease_owner = r.token AND work_items.status = 0 RETURNING {CompletedColumns}");
        update.Set("@now", now);
        update.Set("@rows", rows);
        var updated = new HashSet<long>();
        using (var reader = update.ExecuteReader())
        {
            while (reader.Read())
            {
                updated.Add(reader.GetInt64(0));
                NoteFinishedInOrder(reader, finishedInOrder);
            }
        }

        var recorded = completions.Select(c => updated.Contains(c.Lease.ItemId)).ToArray();
        var insert = writer.Command(
            "INSERT INTO work_attempts (item_id, attempt, started_at, finished_at, succeeded, detail) " +
            "SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5 FROM json_each(@rows)");
        insert.Set("@rows", updated.Count == completions.Count ? attempts : SqliteRows.Attempts(completions, i => recorded[i]));
        insert.ExecuteNonQuery();
        return recorded;
    }

    private static bool[] CompleteRowByRow(SqliteWriter writer, IReadOnlyList<WorkCompletion> completions, long now, List<(string Queue, string OrderingKey)> finishedInOrder)
    {
        var recorded = new bool[completions.Count];
        for (var i = 0; i < completions.Count; i++)
        {
            var completion = completions[i];
            var status = StoreSql.StatusCode(completion.Outcome);
            var update = writer.Command(
                "UPDATE work_items SET status = @status, attempts = attempts + @counted, " +
                "due_at = CASE WHEN @status = 0 THEN @due_at ELSE due_at END, " +
                "finished_at = CASE WHEN @status = 0 THEN NULL ELSE @now END, " +
                "lease_owner = NULL, leased_at = NULL, updated_at = @now " +
                $"WHERE id = @id AND lease_owner = @token AND status = 0 RETURNING {CompletedColumns}");
            update.Set("@status", status);
            update.Set("@counted", StoreSql.CountsAttempt(completion.Outcome));
            update.Set("@due_at", completion.RetryAt is { } at ? StoreSql.Ms(at) : now);
            update.Set("@now", now);
            update.Set("@id", completion.Lease.ItemId);
            update.Set("@token", completion.Lease.Token);
            using (var reader = update.ExecuteReader())
            {
                if (!reader.Read())
                {
                    continue;
                }

                NoteFinishedInOrder(reader, finishedInOrder);
            }

            recorded[i] = true;
            foreach (var attempt in completion.AttemptLog)
            {
                var insert = writer.Command(
                    "INSERT INTO work_attempts (item_id, attempt, started_at, finished_at, succeeded, detail) " +
                    "VALUES (@item_id, @attempt, @started_at, @finished_at, @succeeded, @detail)");
                insert.Set("@item_id", completion.Lease.ItemId);
                insert.Set("@attempt", attempt.Attempt);
                insert.Set("@started_at", StoreSql.Ms(attempt.StartedAt));
                insert.Set("@finished_at", StoreSql.Ms(attempt.FinishedAt));
                insert.Set("@succeeded", attempt.Succeeded);
                insert.Set("@detail", attempt.Detail);
                insert.ExecuteNonQuery();
            }
        }

        return recorded;
    }

    /// <summary>Where the in-memory keys and the database disagree (<see cref="SqliteKeys.Disagreements"/>); for tests, while no write runs.</summary>
    internal async Task<IReadOnlyList<string>> KeyIndexDisagreementsAsync()
    {
        await using var connection = await OpenReadAsync(CancellationToken.None);
        return _keys.Disagreements(connection);
    }

    public async Task<WorkItem?> GetAsync(string queue, string key, CancellationToken cancellationToken = default)
    {
        StoreSql.CheckQueue(queue);
        ArgumentNullException.ThrowIfNull(key);
        await using var connection = await OpenReadAsync(cancellationToken);
        // Deferred: a read snapshot that never takes the write lock from the writer.
        await using var transaction = connection.BeginTransaction(deferred: true);
        await using var select = connection.CreateCommand();
        select.Transaction = transaction;
        // Where the key's item is (see SqliteKeys): the id held in memory, else work_keys, else among the items above
        // what this process has seen (another connection's), or above the snapshot's merge mark if a merge finished
        // between the snapshot and the look in memory. The first branch with a row answers.
        var known = _keys.FindCommitted(queue, key);
        select.CommandText =
            $"SELECT {StoreSql.ItemColumns} FROM work_items w WHERE w.id = @id AND w.queue = @queue AND w.key = @key " +
            $"UNION ALL SELECT {StoreSql.ItemColumns} FROM work_items w WHERE w.id = (SELECT item_id FROM work_keys WHERE queue = @queue AND key = @key) " +
            $"UNION ALL SELECT {StoreSql.ItemColumns} FROM work_items w, (SELECT value AS merged FROM work_meta WHERE name = '{SqliteKeys.MergedThroughName}') m " +
            "WHERE w.id > CASE WHEN m.merged = @merged THEN @known ELSE m.merged END AND w.queue = @queue AND w.key = @key LIMIT 1";
        select.Set("@id", known.Id ?? 0);
        select.Set("@merged", known.MergedThrough);
        select.Set("@known", known.KnownThrough);
        select.Set("@queue", queue);
        select.Set("@key", key);
        WorkItem item;
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            item = StoreSql.ReadItem(reader);
        }

        await using var attempts = connection.CreateCommand();
        attempts.Transaction = transaction;
        attempts.CommandText = $"SELECT {StoreSql.AttemptColumns} FROM work_attempts WHERE item_id = @id ORDER BY id DESC";
        attempts.Set("@id", item.Id);
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
        await using var connection = await OpenReadAsync(cancellationToken);
        await using var count = connection.CreateCommand();
        await using var select = connection.CreateCommand();
        var where = StoreSql.Where(queue, query, "instr", (name, value) =>
        {
            count.Set("@" + name, value);
            select.Set("@" + name, value);
        });
        count.CommandText = StoreSql.CountSql(where);
        select.CommandText = StoreSql.PageSql(where);
        select.Set("@limit", query.PageSize);
        select.Set("@offset", (long)(query.PageNumber - 1) * query.PageSize);
        var total = (long)(await count.ExecuteScalarAsync(cancellationToken) ?? 0L);
        var items = new List<WorkItem>();
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(StoreSql.ReadItem(reader));
            }
        }

        if (query.IncludeAttemptLog && items.Count > 0)
        {
            await using var attempts = connection.CreateCommand();
            attempts.CommandText = StoreSql.PageAttemptLogsSql($"IN ({string.Join(',', items.Select((_, i) => $"@i{i}"))})");
            attempts.Set("@per_item", StoreSql.PerItem(query));
            for (var i = 0; i < items.Count; i++)
            {
                attempts.Set($"@i{i}", items[i].Id);
            }

            await using var reader = await attempts.ExecuteReaderAsync(cancellationToken);
            items = await StoreSql.WithAttemptLogsAsync(items, reader, cancellationToken);
        }

        return new WorkPage(items, total, query.PageNumber, query.PageSize);
    }

    public async Task<IReadOnlyList<QueuedWorkAttempt>> ListAttemptsAsync(string queue, DateTimeOffset finishedFrom, int maxEntries, CancellationToken cancellationToken = default)
    {
        StoreSql.CheckQueue(queue);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxEntries);
        await using var connection = await OpenReadAsync(cancellationToken);
        await using var select = connection.CreateCommand();
        select.CommandText = StoreSql.RecentAttemptsSql;
        select.Set("@from", StoreSql.Ms(finishedFrom));
        select.Set("@queue", queue);
        select.Set("@limit", maxEntries);
        var attempts = new List<QueuedWorkAttempt>();
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            attempts.Add(StoreSql.ReadQueuedAttempt(reader));
        }

        return attempts;
    }

    public Task<bool> RequeueAsync(string queue, string key, DateTimeOffset dueAt, CancellationToken cancellationToken = default)
    {
        StoreSql.CheckQueue(queue);
        ArgumentNullException.ThrowIfNull(key);
        return _writer.WriteAsync(writer =>
        {
            if (_keys.Find(writer, queue, key) is not { } id)
            {
                return false;
            }

            var now = StoreSql.Ms(_time.GetUtcNow());
            var finished = writer.Command(
                "UPDATE work_items SET status = 0, max_attempts = attempts + 1, due_at = @due_at, finished_at = NULL, updated_at = @now " +
                "WHERE id = @id AND status IN (1, 2)");
            Set(finished, id, dueAt, now);
            if (finished.ExecuteNonQuery() == 0)
            {
                var pending = writer.Command(
                    "UPDATE work_items SET due_at = min(due_at, @due_at), updated_at = @now WHERE id = @id AND status = 0 AND lease_owner IS NULL");
                Set(pending, id, dueAt, now);
                pending.ExecuteNonQuery();
            }

            return true;
        }, cancellationToken);

        static void Set(SqliteCommand command, long id, DateTimeOffset dueAt, long now)
        {
            command.Set("@id", id);
            command.Set("@due_at", StoreSql.Ms(dueAt));
            command.Set("@now", now);
        }
    }

    public Task<int> RequeueFailedAsync(string queue, DateTimeOffset failedSince, DateTimeOffset dueAt, CancellationToken cancellationToken = default)
    {
        StoreSql.CheckQueue(queue);
        return _writer.WriteAsync(writer =>
        {
            var update = writer.Command(
                "UPDATE work_items SET status = 0, max_attempts = attempts + 1, due_at = @due_at, finished_at = NULL, updated_at = @now " +
                "WHERE queue = @queue AND status = 2 AND finished_at >= @since");
            update.Set("@due_at", StoreSql.Ms(dueAt));
            update.Set("@now", StoreSql.Ms(_time.GetUtcNow()));
            update.Set("@queue", queue);
            update.Set("@since", StoreSql.Ms(failedSince));
            return update.ExecuteNonQuery();
        }, cancellationToken);
    }

    public Task<int> PruneAsync(string queue, DateTimeOffset finishedBefore, int maxItems, CancellationToken cancellationToken = default)
    {
        StoreSql.CheckQueue(queue);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxItems);
        return _writer.WriteAsync(writer => Transaction(writer).Prune(queue, finishedBefore, maxItems), cancellationToken);
    }

    public Task<int> ReclaimSpaceAsync(int maxPages, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPages);
        return _writer.WriteAsync(writer =>
        {
            var free = writer.Command("PRAGMA freelist_count");
            var before = (long)free.ExecuteScalar()!;
            using (var vacuum = writer.Connection.CreateCommand())
            {
                vacuum.CommandText = $"PRAGMA incremental_vacuum({maxPages})";
                vacuum.ExecuteNonQuery();
            }

            return (int)(before - (long)free.ExecuteScalar()!);
        }, cancellationToken);
    }

    public async Task<long> CountPendingAsync(string queue, CancellationToken cancellationToken = default)
    {
        StoreSql.CheckQueue(queue);
        await using var connection = await OpenReadAsync(cancellationToken);
        await using var count = connection.CreateCommand();
        count.CommandText = $"SELECT count(*) FROM work_items WHERE queue = @queue AND status IN {StoreSql.Unfinished}";
        count.Set("@queue", queue);
        return (long)(await count.ExecuteScalarAsync(cancellationToken) ?? 0L);
    }

    public async Task<DateTimeOffset?> NextDueAtAsync(string queue, CancellationToken cancellationToken = default)
    {
        StoreSql.CheckQueue(queue);
        await using var connection = await OpenReadAsync(cancellationToken);
        await using var next = connection.CreateCommand();
        next.CommandText = "SELECT min(due_at) FROM work_items WHERE queue = @queue AND status = 0 AND lease_owner IS NULL";
        next.Set("@queue", queue);
        return await next.ExecuteScalarAsync(cancellationToken) is long ms ? StoreSql.Time(ms) : null;
    }

    private async Task<SqliteConnection> OpenReadAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _writer.DisposeAsync();
        _lock.Dispose();
    }
}

internal static class SqliteParameters
{
    /// <summary>Sets a parameter, adding it the first time, so a reused command keeps its prepared statement and parameter objects.</summary>
    public static void Set(this SqliteCommand command, string name, object value)
    {
        var index = command.Parameters.IndexOf(name);
        if (index < 0)
        {
            command.Parameters.AddWithValue(name, value);
        }
        else
        {
            command.Parameters[index].Value = value;
        }
    }
}
