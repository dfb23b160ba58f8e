namespace Switchboard.DurableWork.Tests.Storage;

/// <summary>A queue's query indexes (<see cref="WorkStoreBuilder.AddQueryIndexes"/>), on both databases: the plans of the store's own queries.</summary>
public abstract partial class WorkStoreContract
{
    private const string Logged = "deliveries";

    /// <summary>
    /// The plan the database chooses for <paramref name="sql"/> with <paramref name="args"/> bound (named without the
    /// <c>@</c>): EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL with sequential scans priced out (as on a big table).
    /// </summary>
    protected abstract Task<string> ExplainAsync(string sql, IReadOnlyList<SqlArg> args);

    /// <summary>EXPLAIN QUERY PLAN on the SQLite file at <paramref name="path"/>: the details of the plan's steps, one a line.</summary>
    protected static async Task<string> ExplainOnSqliteAsync(string path, string sql, IReadOnlyList<SqlArg> args)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var arg in args)
        {
            command.Parameters.AddWithValue("@" + arg.Name, arg.Value);
        }

        var plan = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            plan.Add(reader.GetString(3));
        }

        return string.Join('\n', plan);
    }

    private Task<string> ExplainPageAsync(string queue, WorkQuery query)
    {
        var args = new List<SqlArg>();
        var where = StoreSql.Where(queue, query, Store.Backend == WorkStoreBackend.Sqlite ? "instr" : "strpos", (name, value) => args.Add(new(name, value)));
        return ExplainAsync(StoreSql.PageSql(where), [.. args, new("limit", 50), new("offset", 0L)]);
    }

    [Fact]
    public async Task A_queues_query_indexes_serve_its_status_and_tag_filters_and_recent_attempts_and_no_other_queue()
    {
        await Store.MigrateAsync(DocumentSql.QueryIndexesComponent(Logged), [DocumentSql.QueryIndexesOf(Logged)]);
        await FillAsync(Queue);
        await FillAsync(Logged);

        Uses("work_items_status_", await ExplainPageAsync(Logged, new WorkQuery { Status = WorkStatus.Failed }));
        Uses("work_items_tag_", await ExplainPageAsync(Logged, new WorkQuery { Tag = "type-7" }));
        Uses("work_attempts_finished", await ExplainAsync(StoreSql.RecentAttemptsSql,
            [new("from", StoreSql.Ms(Time.GetUtcNow().AddMinutes(-2))), new("queue", Logged), new("limit", 100)]));
        Assert.Equal(2, (await Store.ListAttemptsAsync(Logged, Time.GetUtcNow().AddMinutes(-1), 100)).Count);
        Assert.Equal(200, (await Store.ListAttemptsAsync(Logged, DateTimeOffset.MinValue, 1000)).Count);

        // Partial on the queue: another queue's items are not in them (its writes do not maintain them).
        Uses("work_items_status_", await ExplainPageAsync(Queue, new WorkQuery { Status = WorkStatus.Failed }), not: true);
        Uses("work_items_tag_", await ExplainPageAsync(Queue, new WorkQuery { Tag = "message.sent" }), not: true);
    }

    [Fact]
    public async Task The_store_alone_has_no_query_indexes_any_more()
    {
        await Store.EnqueueAsync(Logged, [Item("d1", tag: "message.sent")]);

        Uses("work_items_status", await ExplainPageAsync(Logged, new WorkQuery { Status = WorkStatus.Failed }), not: true);
    }

    /// <summary>200 items in <paramref name="queue"/> of 20 types, each worked once (one in 40 failed), a minute apart.</summary>
    private async Task FillAsync(string queue)
    {
        await Store.EnqueueAsync(queue, [.. Enumerable.Range(0, 200).Select(i => Item($"{queue}-{i}", tag: $"type-{i % 20}"))]);
        foreach (var claimed in await Store.ClaimAsync(queue, 200))
        {
            Time.Advance(TimeSpan.FromMinutes(1));
            var log = new WorkAttemptRecord(1, Time.GetUtcNow(), Time.GetUtcNow(), true, "{}");
            await Store.CompleteAsync([int.Parse(claimed.Key.Split('-')[^1], System.Globalization.CultureInfo.InvariantCulture) % 40 == 0
                ? WorkCompletion.Failed(claimed.Lease, [log with { Succeeded = false }])
                : WorkCompletion.Succeeded(claimed.Lease, [log])]);
        }
    }

    private static void Uses(string index, string plan, bool not = false) =>
        Assert.True(plan.Contains(index, StringComparison.Ordinal) != not, $"the plan {(not ? "uses" : "does not use")} {index}:\n{plan}");
}
