extern alias pg;

using Npgsql;
using Switchboard.Testing;
using pg::Switchboard.DurableWork;
using pg::Switchboard.DurableWork.PostgreSql;

namespace Switchboard.DurableWork.Tests.Storage;

[Collection(PostgresServer.Collection)]
public sealed class PostgresWorkStoreTests(PostgresServer server) : WorkStoreContract
{
    private readonly List<IWorkStore> _stopped = [];
    private NpgsqlDataSource? _dataSource;

    protected override async Task<IWorkStore> OpenStoreAsync(TimeProvider time)
    {
        _dataSource ??= await server.CreateDatabaseAsync();
        return await PostgresWorkStore.OpenAsync(_dataSource, time: time);
    }

    [Fact]
    public Task A_database_of_the_release_before_documents_keeps_its_platform_resources_and_settings() => DatabaseOfTheReleaseBeforeDocumentsIsAdoptedAsync();

    protected override async Task RewindToBeforeDocumentsAsync(params string[] sql)
    {
        await Store.DisposeAsync();
        _stopped.Remove(Store);
        foreach (var statement in (string[])[BeforeDocuments(3), .. sql])
        {
            await using var command = _dataSource!.CreateCommand(statement);
            await command.ExecuteNonQueryAsync();
        }
    }

    protected override async Task<string> ExplainAsync(string sql, IReadOnlyList<SqlArg> args)
    {
        await using var connection = await _dataSource!.OpenConnectionAsync();
        // The statistics autovacuum keeps in production; sequential scans priced out, as on a big table.
        await using (var off = new NpgsqlCommand("ANALYZE; SET enable_seqscan = off", connection))
        {
            await off.ExecuteNonQueryAsync();
        }

        await using var command = new NpgsqlCommand("EXPLAIN " + sql, connection);
        foreach (var arg in args)
        {
            command.Parameters.Add(new NpgsqlParameter(arg.Name, arg.Value));
        }

        var plan = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(0));
            }
        }

        await using (var reset = new NpgsqlCommand("RESET enable_seqscan", connection))
        {
            await reset.ExecuteNonQueryAsync();
        }

        return string.Join('\n', plan);
    }

    /// <summary>Another worker takes over once the first one's heartbeat is old (made so here, as a stopped worker's gets).</summary>
    protected override async Task<IWorkStore> WorkerStoppedAsync()
    {
        var stopped = Store;
        _stopped.Add(stopped);
        var next = await OpenStoreAsync(Time);
        await using (var age = _dataSource!.CreateCommand("UPDATE work_workers SET heartbeat_at = now() - interval '1 hour' WHERE id = @id"))
        {
            age.Parameters.AddWithValue("id", stopped.WorkerId);
            Assert.Equal(1, await age.ExecuteNonQueryAsync());
        }

        await ((NpgsqlWorkStore)next).TakeOverStoppedAsync();
        Replace(next);
        return next;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var store in _stopped)
        {
            await store.DisposeAsync();
        }
    }

    [Fact]
    public async Task Workers_starting_together_migrate_once_and_share_the_data()
    {
        var fresh = await server.CreateDatabaseAsync();
        var stores = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => PostgresWorkStore.OpenAsync(fresh, time: Time)));
        await stores[0].EnqueueAsync("q", [new NewWorkItem("a", "{}", Time.GetUtcNow(), 1)]);

        Assert.NotNull(await stores[3].GetAsync("q", "a"));
        await using var versions = fresh.CreateCommand("SELECT count(*) FROM durable_work_schema");
        Assert.Equal(4L, await versions.ExecuteScalarAsync());
        Assert.Equal(4, stores.Select(s => s.WorkerId).Distinct().Count());
        foreach (var store in stores)
        {
            await store.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_live_worker_keeps_its_items_past_the_takeover_timeout_and_a_silent_one_loses_them()
    {
        var data = await server.CreateDatabaseAsync();
        // The takeover timeout leaves room for heartbeats delayed by a loaded machine (a 600 ms one was once missed in CI).
        var fast = new PostgresWorkStoreOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(200), TakeoverAfter = TimeSpan.FromSeconds(3) };
        await using var slow = await PostgresWorkStore.OpenAsync(data, fast, Time);
        await using var other = await PostgresWorkStore.OpenAsync(data, fast, Time);
        await slow.EnqueueAsync("q", [new NewWorkItem("long-job", "{}", Time.GetUtcNow(), 3)]);
        var held = Assert.Single(await slow.ClaimAsync("q", 10));

        // More than a takeover timeout of real time, with the heartbeat going: the takeover, run now, finds no stopped
        // worker, and the item stays with its worker.
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Equal(0, await ((NpgsqlWorkStore)other).TakeOverStoppedAsync());
        Assert.Empty(await other.ClaimAsync("q", 10));
        Assert.Equal([true], await slow.CompleteAsync([WorkCompletion.Retry(held.Lease, Time.GetUtcNow(), [new(1, Time.GetUtcNow(), Time.GetUtcNow(), false, "try again")])]));

        // Now its heartbeat stops, as a paused or killed process's does: the other takes the item over.
        var again = Assert.Single(await slow.ClaimAsync("q", 10));
        ((NpgsqlWorkStore)slow).HeartbeatPaused = true;

        var taken = await Eventually.GetAsync(() => other.ClaimAsync("q", 10), t => t.Count > 0, "the other worker to take the item over");

        var takenOver = Assert.Single(taken);
        Assert.Equal(2, takenOver.Attempts);

        // It comes back (continued after SIGSTOP): its result for the item is refused, and it claims nothing twice.
        ((NpgsqlWorkStore)slow).HeartbeatPaused = false;
        Assert.Equal([false], await slow.CompleteAsync([WorkCompletion.Succeeded(again.Lease, [])]));
        Assert.Equal([true], await other.CompleteAsync([WorkCompletion.Succeeded(takenOver.Lease, [])]));
        var item = await other.GetAsync("q", "long-job");
        Assert.Equal((WorkStatus.Succeeded, 3), (item!.Status, item.Attempts));
        Assert.Equal([2, 1], item.AttemptLog.Select(a => a.Attempt));
        Assert.True(item.AttemptLog[0].IsInterruption);
    }

    [Fact]
    public async Task Two_workers_enqueueing_one_ordering_key_at_once_leave_exactly_one_item_startable()
    {
        var data = await server.CreateDatabaseAsync();
        await using var a = await PostgresWorkStore.OpenAsync(data, time: Time);
        await using var b = await PostgresWorkStore.OpenAsync(data, time: Time);

        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => (i % 2 == 0 ? a : b).EnqueueAsync("q",
            [new NewWorkItem($"e{i}", "{}", Time.GetUtcNow(), 1, OrderingKey: "resource")])));

        var started = new List<string>();
        for (var round = 0; round < 40; round++)
        {
            var claimed = await (round % 2 == 0 ? b : a).ClaimAsync("q", 10);
            var item = Assert.Single(claimed);
            started.Add(item.Key);
            await (round % 2 == 0 ? b : a).CompleteAsync([WorkCompletion.Succeeded(item.Lease, [])]);
        }

        Assert.Equal(40, started.Distinct().Count());
        Assert.Empty(await a.ClaimAsync("q", 10));
    }

    [Fact]
    public async Task Heartbeat_settings_are_validated()
    {
        var data = await server.CreateDatabaseAsync();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            PostgresWorkStore.OpenAsync(data, new PostgresWorkStoreOptions { HeartbeatInterval = TimeSpan.FromSeconds(5), TakeoverAfter = TimeSpan.FromSeconds(10) }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            PostgresWorkStore.OpenAsync(data, new PostgresWorkStoreOptions { HeartbeatInterval = TimeSpan.Zero }));
    }
}
