using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Switchboard.DurableWork.Sqlite;

/// <summary>
/// One write of a SQLite store, on its writer thread: the store's own writes (enqueue, claim, complete) and a
/// <see cref="WorkBatch"/>'s operations, run synchronously in the writer's transaction: SQL and nothing else.
/// </summary>
internal sealed class SqliteWorkTransaction(SqliteWriter writer, SqliteKeys keys, DateTimeOffset now)
{
    public WorkStoreBackend Backend => WorkStoreBackend.Sqlite;

    public DateTimeOffset Now => now;

    private bool[] AddFinished(string queue, IReadOnlyList<NewWorkItem> items)
    {
        var added = new bool[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            added[i] = InsertFinished(queue, items[i]);
        }

        return added;
    }

    /// <summary>Deletes up to <paramref name="maxItems"/> items that finished before <paramref name="finishedBefore"/>, oldest first, with their attempts.</summary>
    public int Prune(string queue, DateTimeOffset finishedBefore, int maxItems)
    {
        var select = writer.Command(
            "SELECT id, key FROM work_items WHERE queue = @queue AND finished_at IS NOT NULL AND finished_at < @before ORDER BY finished_at LIMIT @limit");
        select.Set("@queue", queue);
        select.Set("@before", StoreSql.Ms(finishedBefore));
        select.Set("@limit", maxItems);
        var items = new List<(long Id, string Key)>();
        using (var reader = select.ExecuteReader())
        {
            while (reader.Read())
            {
                items.Add((reader.GetInt64(0), reader.GetString(1)));
            }
        }

        foreach (var (id, key) in items)
        {
            keys.Deleted(writer, queue, key, id);
            var attempts = writer.Command("DELETE FROM work_attempts WHERE item_id = @id");
            attempts.Set("@id", id);
            attempts.ExecuteNonQuery();
            var item = writer.Command("DELETE FROM work_items WHERE id = @id");
            item.Set("@id", id);
            item.ExecuteNonQuery();
        }

        return items.Count;
    }

    /// <summary>Inserts the items; with a token, those that may start now are leased with it.</summary>
    public EnqueuedItem[] Enqueue(string queue, IReadOnlyList<NewWorkItem> items, string? token)
    {
        var results = new EnqueuedItem[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            results[i] = Insert(queue, items[i], token);
        }

        return results;
    }

    /// <summary>
    /// Inserts one item unless the queue holds its key (a key given twice in one batch is added once, the first time).
    /// It waits if an unfinished item of its ordering key exists (earlier inserts of this transaction included).
    /// </summary>
    private EnqueuedItem Insert(string queue, NewWorkItem item, string? token)
    {
        if (keys.Find(writer, queue, item.Key) is not null)
        {
            return new EnqueuedItem(false, null);
        }

        var waiting = item.OrderingKey is { } orderingKey && HasUnfinished(queue, orderingKey);
        var leased = token is not null && !waiting && item.DueAt <= now;
        var id = InsertRow(queue, item, waiting ? WorkStatus.Waiting : WorkStatus.Pending, leased ? token : null);
        return new EnqueuedItem(true, leased ? StoreSql.Leased(item, id, token!) : null);
    }

    /// <summary>Inserts one item as finished (succeeded, one attempt) unless the queue holds its key.</summary>
    private bool InsertFinished(string queue, NewWorkItem item)
    {
        if (keys.Find(writer, queue, item.Key) is not null)
        {
            return false;
        }

        InsertRow(queue, item, WorkStatus.Succeeded, token: null);
        return true;
    }

    /// <summary>Inserts the item's row (leased with <paramref name="token"/> if given; finished now if succeeded) and notes its key; returns its id.</summary>
    private long InsertRow(string queue, NewWorkItem item, WorkStatus status, string? token)
    {
        var finished = status == WorkStatus.Succeeded;
        var insert = writer.Command(
            "INSERT INTO work_items (queue, key, tag, payload, context, ordering_key, status, attempts, max_attempts, due_at, lease_owner, leased_at, created_at, updated_at, finished_at) " +
            "VALUES (@queue, @key, @tag, @payload, @context, @ordering_key, @status, @attempts, @max_attempts, @due_at, @token, @leased_at, @now, @now, @finished_at)");
        insert.Set("@queue", queue);
        insert.Set("@key", item.Key);
        insert.Set("@tag", (object?)item.Tag ?? DBNull.Value);
        insert.Set("@payload", item.Payload);
        insert.Set("@context", (object?)item.Context ?? DBNull.Value);
        insert.Set("@ordering_key", (object?)item.OrderingKey ?? DBNull.Value);
        insert.Set("@status", (int)status);
        insert.Set("@attempts", finished ? 1 : 0);
        insert.Set("@max_attempts", item.MaxAttempts);
        insert.Set("@due_at", StoreSql.Ms(item.DueAt));
        insert.Set("@token", (object?)token ?? DBNull.Value);
        insert.Set("@leased_at", token is not null ? StoreSql.Ms(now) : DBNull.Value);
        insert.Set("@now", StoreSql.Ms(now));
        insert.Set("@finished_at", finished ? StoreSql.Ms(now) : DBNull.Value);
        insert.ExecuteNonQuery();
        var id = writer.LastInsertRowId();
        keys.Added(queue, item.Key, id);
        return id;
    }

    private bool HasUnfinished(string queue, string orderingKey)
    {
        var select = writer.Command($"SELECT 1 FROM work_items WHERE queue = @queue AND ordering_key = @ordering_key AND status IN {StoreSql.Unfinished} LIMIT 1");
        select.Set("@queue", queue);
        select.Set("@ordering_key", orderingKey);
        return select.ExecuteScalar() is not null;
    }

    /// <summary>
    /// An item of <paramref name="orderingKey"/> finished: the earliest waiting one starts, unless an item of the key is
    /// pending again already (a finished one requeued). With <paramref name="token"/> it is leased with it, if due, and
    /// returned for the caller to start.
    /// </summary>
    public ClaimedWorkItem? StartNextInOrder(string queue, string orderingKey, string? token)
    {
        var next = writer.Command(
            "UPDATE work_items SET status = 0, due_at = max(due_at, @now), updated_at = @now, " +
            "lease_owner = CASE WHEN @token IS NOT NULL AND due_at <= @now THEN @token END, " +
            "leased_at = CASE WHEN @token IS NOT NULL AND due_at <= @now THEN @now END " +
            "WHERE id = (SELECT min(id) FROM work_items WHERE queue = @queue AND ordering_key = @ordering_key AND status = 3) " +
            "AND NOT EXISTS (SELECT 1 FROM work_items WHERE queue = @queue AND ordering_key = @ordering_key AND status = 0) " +
            $"RETURNING {StoreSql.ClaimColumns}, lease_owner IS NOT NULL");
        next.Set("@now", StoreSql.Ms(now));
        next.Set("@queue", queue);
        next.Set("@ordering_key", orderingKey);
        next.Set("@token", (object?)token ?? DBNull.Value);
        using var reader = next.ExecuteReader();
        return reader.Read() && reader.GetBoolean(9) ? StoreSql.ReadClaimed(reader, token!) : null;
    }

    /// <summary>
    /// Runs a batch's operations in order (statements only: the batch was computed before); returns what each of its
    /// enqueues did. A check that refuses it throws <see cref="WorkBatchRefusedException"/>, which rolls the write back.
    /// </summary>
    public List<IReadOnlyList<EnqueuedItem>> Apply(WorkBatch batch, string token)
    {
        var enqueued = new List<IReadOnlyList<EnqueuedItem>>();
        WorkBatchOperation? previous = null;
        foreach (var operation in batch.Operations)
        {
            switch (operation)
            {
                case WorkBatchOperation.Put { Document: var put }:
                    var (sql, args) = DocumentSql.Put(put, now);
                    Check(Command(sql, args).ExecuteNonQuery() == 1, WorkBatchOutcome.Conflict, put.Kind, put.Id);
                    break;
                case WorkBatchOperation.Delete delete:
                    Check(Command(DocumentSql.DeleteVersion, DocumentSql.DeleteArgs(delete.Kind, delete.Id, delete.ExpectedVersion)).ExecuteNonQuery() == 1,
                        WorkBatchOutcome.Conflict, delete.Kind, delete.Id);
                    break;
                case WorkBatchOperation.PruneDocuments prune:
                    prune.DeletedCount = Command(DocumentSql.Prune, DocumentSql.PruneArgs(prune)).ExecuteNonQuery();
                    break;
                case WorkBatchOperation.Add add:
                    enqueued.Add(Enqueue(add.Queue, add.Items, add.Leased ? token : null));
                    break;
                case WorkBatchOperation.AddFinished finished:
                    enqueued.Add(!finished.OnlyIfPreviousAdded || StoreSql.AddedAll(previous, enqueued)
                        ? [.. AddFinished(finished.Queue, finished.Items).Select(added => new EnqueuedItem(added, null))]
                        : StoreSql.NoneAdded(finished.Items));
                    break;
                case WorkBatchOperation.Prune prune:
                    Prune(prune.Queue, prune.FinishedBefore, prune.MaxItems);
                    break;
                case WorkBatchOperation.Succeed { Lease: var lease }:
                    var succeed = writer.Command(
                        "UPDATE work_items SET status = @status, attempts = attempts + 1, finished_at = @now, lease_owner = NULL, leased_at = NULL, " +
                        "updated_at = @now WHERE id = @id AND lease_owner = @token AND status = 0");
                    succeed.Set("@status", StoreSql.StatusCode(WorkOutcome.Succeeded));
                    succeed.Set("@now", StoreSql.Ms(now));
                    succeed.Set("@id", lease.ItemId);
                    succeed.Set("@token", lease.Token);
                    Check(succeed.ExecuteNonQuery() == 1, WorkBatchOutcome.LeaseLost, "work item", lease.ItemId.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    break;
            }

            previous = operation;
        }

        return enqueued;

        static void Check(bool passed, WorkBatchOutcome outcome, string kind, string id)
        {
            if (!passed)
            {
                throw new WorkBatchRefusedException(new WorkBatchResult(outcome, $"{kind} {id}"));
            }
        }
    }

    private SqliteCommand Command(string sql, SqlArg[] args)
    {
        var command = writer.Command(sql);
        foreach (var arg in args)
        {
            command.Set(arg.Name.StartsWith('@') ? arg.Name : "@" + arg.Name, arg.Value ?? DBNull.Value);
        }

        return command;
    }
}

/// <summary>Reads on a connection of their own, in a deferred transaction: a snapshot that never takes the write lock.</summary>
internal sealed class SqliteWorkReader(SqliteConnection connection, SqliteTransaction transaction) : IWorkReader
{
    public WorkStoreBackend Backend => WorkStoreBackend.Sqlite;

    public ValueTask<IReadOnlyList<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> read, params SqlArg[] args)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var arg in args)
        {
            command.Parameters.AddWithValue(arg.Name.StartsWith('@') ? arg.Name : "@" + arg.Name, arg.Value ?? DBNull.Value);
        }

        return new(Read(command, read));
    }

    public static IReadOnlyList<T> Read<T>(SqliteCommand command, Func<DbDataReader, T> read)
    {
        var rows = new List<T>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            rows.Add(read(reader));
        }

        return rows;
    }
}
