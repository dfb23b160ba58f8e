using System.Data.Common;
using Npgsql;

namespace Switchboard.DurableWork.PostgreSql;

/// <summary>
/// One transaction on a PostgreSQL store's connection (or, with no transaction, single auto-committed statements): a
/// <see cref="WorkBatch"/>'s operations and the store's own writes commit together; a snapshot's reads, for
/// <see cref="IWorkStore.ReadAsync{T}"/>.
/// </summary>
internal sealed class PostgresWorkTransaction(NpgsqlWorkStore store, NpgsqlConnection connection, NpgsqlTransaction? transaction) : IWorkReader
{
    public WorkStoreBackend Backend => WorkStoreBackend.Postgres;

    public async ValueTask<IReadOnlyList<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> read, params SqlArg[] args)
    {
        await using var command = Command(sql, args);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    public async ValueTask<IReadOnlyList<bool>> AddFinishedAsync(string queue, IReadOnlyList<NewWorkItem> items)
    {
        StoreSql.CheckQueue(queue);
        StoreSql.CheckItems(items);
        if (items.Count == 0)
        {
            return [];
        }

        await using var insert = Command(
            "INSERT INTO work_items (queue, key, tag, payload, context, ordering_key, status, attempts, max_attempts, due_at, created_at, updated_at, finished_at) " +
            $"SELECT @queue, u.key, u.tag, u.payload, u.context, u.ordering_key, {(int)WorkStatus.Succeeded}, 1, u.max_attempts, u.due_at, @now, @now, @now " +
            "FROM unnest(@keys, @tags, @payloads, @contexts, @ordering_keys, @max_attempts, @due_at) AS u(key, tag, payload, context, ordering_key, max_attempts, due_at) " +
            "ON CONFLICT (queue, key) DO NOTHING RETURNING key", []);
        insert.Parameters.Add(new NpgsqlParameter<string>("queue", queue));
        insert.Parameters.Add(new NpgsqlParameter<long>("now", StoreSql.Ms(store.Time.GetUtcNow())));
        insert.Parameters.Add(new NpgsqlParameter<string[]>("keys", [.. items.Select(i => i.Key)]));
        insert.Parameters.Add(new NpgsqlParameter<string?[]>("tags", [.. items.Select(i => i.Tag)]));
        insert.Parameters.Add(new NpgsqlParameter<string[]>("payloads", [.. items.Select(i => i.Payload)]));
        insert.Parameters.Add(new NpgsqlParameter<string?[]>("contexts", [.. items.Select(i => i.Context)]));
        insert.Parameters.Add(new NpgsqlParameter<string?[]>("ordering_keys", [.. items.Select(i => i.OrderingKey)]));
        insert.Parameters.Add(new NpgsqlParameter<int[]>("max_attempts", [.. items.Select(i => i.MaxAttempts)]));
        insert.Parameters.Add(new NpgsqlParameter<long[]>("due_at", [.. items.Select(i => StoreSql.Ms(i.DueAt))]));
        var added = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = await insert.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                added.Add(reader.GetString(0));
            }
        }

        // A key given twice is added once: the first occurrence reports it.
        return [.. items.Select(i => added.Remove(i.Key))];
    }

    /// <summary>Deletes up to <paramref name="maxItems"/> items that finished before <paramref name="finishedBefore"/>, oldest first, with their attempts.</summary>
    public async Task<int> PruneAsync(string queue, DateTimeOffset finishedBefore, int maxItems, CancellationToken cancellationToken)
    {
        await using var prune = Command(
            "WITH old AS (" +
            "  DELETE FROM work_items WHERE id IN (" +
            "    SELECT id FROM work_items WHERE queue = @queue AND finished_at IS NOT NULL AND finished_at < @before " +
            "    ORDER BY finished_at LIMIT @limit FOR UPDATE SKIP LOCKED) RETURNING id), " +
            "attempts AS (DELETE FROM work_attempts WHERE item_id IN (SELECT id FROM old)) " +
            "SELECT count(*) FROM old", []);
        prune.Parameters.Add(new NpgsqlParameter<string>("queue", queue));
        prune.Parameters.Add(new NpgsqlParameter<long>("before", StoreSql.Ms(finishedBefore)));
        prune.Parameters.Add(new NpgsqlParameter<int>("limit", maxItems));
        return (int)(long)(await prune.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Inserts the items (a key given twice is added once, the first time); with <paramref name="leased"/>, those that may
    /// start now are leased to the store's worker. Items without an ordering key go in one statement. Items with one go
    /// one at a time after their keys are locked (in key order, as completing does), each waiting if an unfinished item
    /// of its key exists, so no two workers ever both see "nothing ahead" for one key.
    /// </summary>
    public async Task<IReadOnlyList<EnqueuedItem>> EnqueueAsync(string queue, IReadOnlyList<NewWorkItem> items, bool leased, CancellationToken cancellationToken)
    {
        if (items.Count == 0)
        {
            return [];
        }

        var now = store.Time.GetUtcNow();
        var token = leased ? StoreSql.NewLeaseToken(store.WorkerId) : null;
        var results = new EnqueuedItem[items.Count];
        var unordered = Enumerable.Range(0, items.Count).Where(i => items[i].OrderingKey is null).ToList();
        if (unordered.Count > 0)
        {
            await InsertUnorderedAsync(queue, items, unordered, token, now, results, cancellationToken);
        }

        var ordered = Enumerable.Range(0, items.Count).Where(i => items[i].OrderingKey is not null).ToList();
        if (ordered.Count == 0)
        {
            return results;
        }

        if (transaction is null)
        {
            throw new InvalidOperationException("items with an ordering key are enqueued inside a transaction");
        }

        foreach (var orderingKey in ordered.Select(i => items[i].OrderingKey!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            await using var lockKey = Command("SELECT pg_advisory_xact_lock(hashtextextended(@queue || ':' || @ordering_key, 0))",
                [new("queue", queue), new("ordering_key", orderingKey)]);
            await lockKey.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var i in ordered)
        {
            results[i] = await InsertOrderedAsync(queue, items[i], token, now, cancellationToken);
        }

        return results;
    }

    private async Task InsertUnorderedAsync(
        string queue, IReadOnlyList<NewWorkItem> items, List<int> indexes, string? token, DateTimeOffset now, EnqueuedItem[] results, CancellationToken cancellationToken)
    {
        await using var insert = Command(
            "INSERT INTO work_items (queue, key, tag, payload, context, status, attempts, max_attempts, due_at, lease_owner, lease_worker, leased_at, created_at, updated_at) " +
            "SELECT @queue, r.key, r.tag, r.payload, r.context, 0, 0, r.max_attempts, r.due_at, " +
            "CASE WHEN r.lease THEN @token END, CASE WHEN r.lease THEN @worker END, CASE WHEN r.lease THEN @now END, @now, @now " +
            "FROM (SELECT u.*, u.lease_now AND EXISTS (SELECT 1 FROM work_workers WHERE id = @worker) AS lease " +
            "      FROM unnest(@keys, @tags, @payloads, @contexts, @max_attempts, @due_at, @lease_now) AS u(key, tag, payload, context, max_attempts, due_at, lease_now)) r " +
            "ON CONFLICT (queue, key) DO NOTHING RETURNING key, id, lease_owner IS NOT NULL", []);
        var batch = indexes.Select(i => items[i]).ToList();
        insert.Parameters.Add(new NpgsqlParameter<string>("queue", queue));
        insert.Parameters.Add(new NpgsqlParameter<long>("now", StoreSql.Ms(now)));
        insert.Parameters.Add(new NpgsqlParameter<string?>("token", token));
        insert.Parameters.Add(new NpgsqlParameter<string>("worker", store.WorkerId));
        insert.Parameters.Add(new NpgsqlParameter<string[]>("keys", [.. batch.Select(i => i.Key)]));
        insert.Parameters.Add(new NpgsqlParameter<string?[]>("tags", [.. batch.Select(i => i.Tag)]));
        insert.Parameters.Add(new NpgsqlParameter<string[]>("payloads", [.. batch.Select(i => i.Payload)]));
        insert.Parameters.Add(new NpgsqlParameter<string?[]>("contexts", [.. batch.Select(i => i.Context)]));
        insert.Parameters.Add(new NpgsqlParameter<int[]>("max_attempts", [.. batch.Select(i => i.MaxAttempts)]));
        insert.Parameters.Add(new NpgsqlParameter<long[]>("due_at", [.. batch.Select(i => StoreSql.Ms(i.DueAt))]));
        insert.Parameters.Add(new NpgsqlParameter<bool[]>("lease_now", [.. batch.Select(i => token is not null && i.DueAt <= now)]));
        var added = new Dictionary<string, (long Id, bool Leased)>(StringComparer.Ordinal);
        await using (var reader = await insert.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                added[reader.GetString(0)] = (reader.GetInt64(1), reader.GetBoolean(2));
            }
        }

        // A key given twice in one batch is added once: the first occurrence reports it.
        foreach (var i in indexes)
        {
            results[i] = added.Remove(items[i].Key, out var row)
                ? new EnqueuedItem(true, row.Leased ? StoreSql.Leased(items[i], row.Id, token!) : null)
                : new EnqueuedItem(false, null);
        }
    }

    private async Task<EnqueuedItem> InsertOrderedAsync(string queue, NewWorkItem item, string? token, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var insert = Command(
            "WITH ahead AS (SELECT EXISTS (SELECT 1 FROM work_items WHERE queue = @queue AND ordering_key = @ordering_key AND status IN (0, 3)) AS held), " +
            "lease AS (SELECT NOT ahead.held AND @lease_now AND EXISTS (SELECT 1 FROM work_workers WHERE id = @worker) AS now FROM ahead) " +
            "INSERT INTO work_items (queue, key, tag, payload, context, ordering_key, status, attempts, max_attempts, due_at, lease_owner, lease_worker, leased_at, created_at, updated_at) " +
            "SELECT @queue, @key, @tag, @payload, @context, @ordering_key, CASE WHEN ahead.held THEN 3 ELSE 0 END, 0, @max_attempts, @due_at, " +
            "CASE WHEN lease.now THEN @token END, CASE WHEN lease.now THEN @worker END, CASE WHEN lease.now THEN @now END, @now, @now FROM ahead, lease " +
            "ON CONFLICT (queue, key) DO NOTHING RETURNING id, lease_owner IS NOT NULL", []);
        insert.Parameters.Add(new NpgsqlParameter<string>("queue", queue));
        insert.Parameters.Add(new NpgsqlParameter<string>("key", item.Key));
        insert.Parameters.Add(new NpgsqlParameter<string?>("tag", item.Tag));
        insert.Parameters.Add(new NpgsqlParameter<string>("payload", item.Payload));
        insert.Parameters.Add(new NpgsqlParameter<string?>("context", item.Context));
        insert.Parameters.Add(new NpgsqlParameter<string>("ordering_key", item.OrderingKey!));
        insert.Parameters.Add(new NpgsqlParameter<int>("max_attempts", item.MaxAttempts));
        insert.Parameters.Add(new NpgsqlParameter<long>("due_at", StoreSql.Ms(item.DueAt)));
        insert.Parameters.Add(new NpgsqlParameter<bool>("lease_now", token is not null && item.DueAt <= now));
        insert.Parameters.Add(new NpgsqlParameter<string?>("token", token));
        insert.Parameters.Add(new NpgsqlParameter<string>("worker", store.WorkerId));
        insert.Parameters.Add(new NpgsqlParameter<long>("now", StoreSql.Ms(now)));
        await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return new EnqueuedItem(false, null);
        }

        var id = reader.GetInt64(0);
        return new EnqueuedItem(true, reader.GetBoolean(1) ? StoreSql.Leased(item, id, token!) : null);
    }

    /// <summary>
    /// Runs a batch's operations in order; returns what each of its enqueues did. A check that refuses it throws
    /// <see cref="WorkBatchRefusedException"/> (the caller rolls back).
    /// </summary>
    public async Task<List<IReadOnlyList<EnqueuedItem>>> ApplyAsync(WorkBatch batch, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var enqueued = new List<IReadOnlyList<EnqueuedItem>>();
        WorkBatchOperation? previous = null;
        foreach (var operation in batch.Operations)
        {
            switch (operation)
            {
                case WorkBatchOperation.Put { Document: var put }:
                    var (sql, args) = DocumentSql.Put(put, now);
                    Check(await RunAsync(sql, args) == 1, WorkBatchOutcome.Conflict, put.Kind, put.Id);
                    break;
                case WorkBatchOperation.Delete delete:
                    Check(await RunAsync(DocumentSql.DeleteVersion, DocumentSql.DeleteArgs(delete.Kind, delete.Id, delete.ExpectedVersion)) == 1,
                        WorkBatchOutcome.Conflict, delete.Kind, delete.Id);
                    break;
                case WorkBatchOperation.PruneDocuments prune:
                    prune.DeletedCount = await RunAsync(DocumentSql.Prune, DocumentSql.PruneArgs(prune));
                    break;
                case WorkBatchOperation.Add add:
                    enqueued.Add(await EnqueueAsync(add.Queue, add.Items, add.Leased, cancellationToken));
                    break;
                case WorkBatchOperation.AddFinished finished:
                    enqueued.Add(!finished.OnlyIfPreviousAdded || StoreSql.AddedAll(previous, enqueued)
                        ? [.. (await AddFinishedAsync(finished.Queue, finished.Items)).Select(added => new EnqueuedItem(added, null))]
                        : StoreSql.NoneAdded(finished.Items));
                    break;
                case WorkBatchOperation.Prune prune:
                    await PruneAsync(prune.Queue, prune.FinishedBefore, prune.MaxItems, cancellationToken);
                    break;
                case WorkBatchOperation.Succeed { Lease: var lease }:
                    var succeeded = await RunAsync(
                        "UPDATE work_items SET status = @status, attempts = attempts + 1, finished_at = @now, lease_owner = NULL, lease_worker = NULL, " +
                        "leased_at = NULL, updated_at = @now WHERE id = @id AND lease_owner = @token AND status = 0",
                        [new("status", StoreSql.StatusCode(WorkOutcome.Succeeded)), new("now", StoreSql.Ms(now)), new("id", lease.ItemId), new("token", lease.Token)]);
                    Check(succeeded == 1, WorkBatchOutcome.LeaseLost, "work item", lease.ItemId.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    break;
            }

            previous = operation;
        }

        return enqueued;

        async Task<int> RunAsync(string sql, SqlArg[] args)
        {
            await using var command = Command(sql, args);
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }

        static void Check(bool passed, WorkBatchOutcome outcome, string kind, string id)
        {
            if (!passed)
            {
                throw new WorkBatchRefusedException(new WorkBatchResult(outcome, $"{kind} {id}"));
            }
        }
    }

    private NpgsqlCommand Command(string sql, SqlArg[] args)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var arg in args)
        {
            command.Parameters.Add(new NpgsqlParameter(arg.Name.TrimStart('@'), arg.Value ?? DBNull.Value));
        }

        return command;
    }
}
