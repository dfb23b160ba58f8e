using CsCheck;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Switchboard.DurableWork.Sqlite;

namespace Switchboard.DurableWork.Tests.Storage;

/// <summary>
/// The whole store contract again with the SQLite key index written after every two new keys, so that ordered passes
/// into <c>work_keys</c>, deletes during a pass and their interplay with every operation are exercised.
/// </summary>
public sealed class SqliteStoreWithFrequentKeyPassesTests : WorkStoreContract
{
    private readonly string _folder = Directory.CreateTempSubdirectory("switchboard-sqlite-keys-").FullName;

    protected override Task<IWorkStore> OpenStoreAsync(TimeProvider time) =>
        WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = Path.Combine(_folder, "work.db"), MinKeyGeneration = 2 }, time);

    protected override Task<string> ExplainAsync(string sql, IReadOnlyList<SqlArg> args) => ExplainOnSqliteAsync(Path.Combine(_folder, "work.db"), sql, args);

    protected override async Task<IWorkStore> WorkerStoppedAsync()
    {
        await Store.DisposeAsync();
        var next = await OpenStoreAsync(Time);
        Replace(next);
        return next;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}

/// <summary>How the SQLite store knows which keys it holds: in memory until an ordered pass writes them to <c>work_keys</c>.</summary>
public sealed class SqliteKeysTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("switchboard-keys-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 10, 24, 18, 0, 0, TimeSpan.Zero));

    private string DatabasePath => Path.Combine(_folder, "work.db");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }

    private Task<IWorkStore> OpenAsync(int minKeyGeneration = 3) =>
        WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = DatabasePath, MinKeyGeneration = minKeyGeneration }, _time);

    private NewWorkItem Item(string key) => new(key, $"{{\"key\":\"{key}\"}}", _time.GetUtcNow(), 3);

    private async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=false");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Keys_passed_to_the_key_index_and_keys_still_in_memory_are_both_refused_again_before_and_after_reopening()
    {
        var keys = Enumerable.Range(0, 40).Select(i => $"k{i:D2}-{Guid.NewGuid()}").ToList();
        await using (var store = await OpenAsync())
        {
            foreach (var key in keys)
            {
                Assert.Equal([true], await store.EnqueueAsync("q", [Item(key)]));
            }

            // Several passes have finished; the newest keys are still only in memory.
            var indexed = await ScalarAsync("SELECT count(*) FROM work_keys");
            Assert.InRange(indexed, 3, keys.Count - 1);
            Assert.Equal(keys.Select(_ => false), await store.EnqueueAsync("q", [.. keys.Select(Item)]));
            foreach (var key in keys)
            {
                Assert.Equal(key, (await store.GetAsync("q", key))!.Key);
            }

            Assert.Null(await store.GetAsync("q", "absent"));
            Assert.True(await store.RequeueAsync("q", keys[0], _time.GetUtcNow()));
            Assert.True(await store.RequeueAsync("q", keys[^1], _time.GetUtcNow()));
            Assert.False(await store.RequeueAsync("q", "absent", _time.GetUtcNow()));
        }

        await using (var reopened = await OpenAsync())
        {
            Assert.Equal(keys.Select(_ => false), await reopened.EnqueueAsync("q", [.. keys.Select(Item)]));
            foreach (var key in keys)
            {
                Assert.NotNull(await reopened.GetAsync("q", key));
            }

            Assert.Equal(40, await reopened.CountPendingAsync("q"));
        }

        // Every item up to the merge mark has its key indexed, pointing at it.
        Assert.Equal(0, await ScalarAsync(
            "SELECT count(*) FROM work_items w WHERE w.id <= (SELECT value FROM work_meta WHERE name = 'keys_merged_through') " +
            "AND NOT EXISTS (SELECT 1 FROM work_keys k WHERE k.queue = w.queue AND k.key = w.key AND k.item_id = w.id)"));
    }

    [Fact]
    public async Task A_pruned_key_can_be_enqueued_again_whether_it_was_indexed_or_still_in_memory()
    {
        await using var store = await OpenAsync();
        var keys = Enumerable.Range(0, 12).Select(i => $"p{i:D2}").ToList();
        foreach (var key in keys)
        {
            var claimed = (await store.EnqueueLeasedAsync("q", [Item(key)]))[0].Leased!;
            Assert.Equal([true], await store.CompleteAsync([WorkCompletion.Succeeded(claimed.Lease, [])]));
        }

        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(12, await store.PruneAsync("q", _time.GetUtcNow(), 100));
        Assert.Equal(0, await ScalarAsync("SELECT count(*) FROM work_keys"));

        Assert.Equal(keys.Select(_ => true), await store.EnqueueAsync("q", [.. keys.Select(Item)]));
        Assert.Equal(keys.Select(_ => false), await store.EnqueueAsync("q", [.. keys.Select(Item)]));
        await store.DisposeAsync();
        await using var reopened = await OpenAsync();
        Assert.Equal(keys.Select(_ => false), await reopened.EnqueueAsync("q", [.. keys.Select(Item)]));
        Assert.Equal(12, await reopened.CountPendingAsync("q"));
    }

    [Fact]
    public async Task An_item_another_connection_inserted_is_seen_as_holding_its_key()
    {
        await using var store = await OpenAsync(minKeyGeneration: 1000);
        Assert.Equal([true], await store.EnqueueAsync("q", [Item("mine")]));
        await using (var other = new SqliteConnection($"Data Source={DatabasePath};Pooling=false"))
        {
            await other.OpenAsync();
            await using var insert = other.CreateCommand();
            insert.CommandText =
                "INSERT INTO work_items (queue, key, payload, status, attempts, max_attempts, due_at, created_at, updated_at) " +
                "VALUES ('q', 'theirs', '{}', 0, 0, 1, 0, 0, 0)";
            await insert.ExecuteNonQueryAsync();
        }

        Assert.Equal("theirs", (await store.GetAsync("q", "theirs"))!.Key);
        Assert.Equal([false, false, true], await store.EnqueueAsync("q", [Item("theirs"), Item("mine"), Item("new")]));
    }

    [Fact]
    public async Task A_database_from_before_the_key_index_keeps_its_items_and_their_keys()
    {
        await using (var old = new SqliteConnection($"Data Source={DatabasePath};Pooling=false"))
        {
            await old.OpenAsync();
            await using var create = old.CreateCommand();
            // Version 1 of the schema, as a store of an earlier release left it.
            create.CommandText = """
                CREATE TABLE durable_work_schema (version INTEGER NOT NULL);
                INSERT INTO durable_work_schema (version) VALUES (1);
                CREATE TABLE work_items (
                    id INTEGER PRIMARY KEY, queue TEXT NOT NULL, key TEXT NOT NULL, tag TEXT, payload TEXT NOT NULL, context TEXT,
                    status INTEGER NOT NULL, attempts INTEGER NOT NULL, max_attempts INTEGER NOT NULL, due_at INTEGER NOT NULL,
                    lease_owner TEXT, lease_expires_at INTEGER, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
                    finished_at INTEGER, UNIQUE (queue, key));
                CREATE INDEX work_items_due ON work_items (queue, due_at) WHERE status = 0;
                CREATE INDEX work_items_finished ON work_items (queue, finished_at) WHERE finished_at IS NOT NULL;
                CREATE INDEX work_items_created ON work_items (queue, created_at);
                CREATE TABLE work_attempts (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL, attempt INTEGER NOT NULL,
                    started_at INTEGER NOT NULL, finished_at INTEGER NOT NULL, succeeded INTEGER NOT NULL, detail TEXT NOT NULL);
                CREATE INDEX work_attempts_item ON work_attempts (item_id);
                INSERT INTO work_items (id, queue, key, payload, status, attempts, max_attempts, due_at, created_at, updated_at)
                VALUES (7, 'q', 'old-a', '{"a":1}', 0, 0, 1, 0, 0, 0), (9, 'q', 'old-b', '{"b":1}', 1, 1, 1, 0, 0, 0);
                INSERT INTO work_attempts (item_id, attempt, started_at, finished_at, succeeded, detail) VALUES (9, 1, 0, 0, 1, 'done');
                """;
            await create.ExecuteNonQueryAsync();
        }

        await using var store = await OpenAsync();

        Assert.Equal([false, false, true], await store.EnqueueAsync("q", [Item("old-a"), Item("old-b"), Item("new")]));
        Assert.Equal("{\"a\":1}", (await store.GetAsync("q", "old-a"))!.Payload);
        Assert.Equal("done", Assert.Single((await store.GetAsync("q", "old-b"))!.AttemptLog).Detail);
        Assert.True((await store.GetAsync("q", "new"))!.Id > 9);
    }

    [Fact]
    public async Task A_write_undone_by_its_savepoint_takes_its_keys_with_it_and_the_writes_beside_it_keep_theirs()
    {
        await (await OpenAsync()).DisposeAsync();
        var connection = new SqliteConnection($"Data Source={DatabasePath}");
        await connection.OpenAsync();
        var keys = new SqliteKeys(minGenerationSize: 1000);
        keys.Load(connection);
        var writer = new SqliteWriter(connection, maxJobsPerTransaction: 16, keys);
        using var gate = new ManualResetEventSlim();
        // The first write holds the writer until the others are queued, so all share the next transaction; the
        // failing one makes it run again with a savepoint per write.
        var first = writer.WriteAsync(w => { gate.Wait(); return Add(w, "a"); }, CancellationToken.None);
        var failing = writer.WriteAsync<long>(w => { Add(w, "b"); throw new InvalidOperationException("undone"); }, CancellationToken.None);
        var afterIt = writer.WriteAsync(w => keys.Find(w, "q", "b") is null ? Add(w, "b") : -1, CancellationToken.None);
        gate.Set();

        var a = await first;
        await Assert.ThrowsAsync<InvalidOperationException>(() => failing);
        var b = await afterIt;
        Assert.True(b > 0, "the undone write's key was still held");
        Assert.Equal(a, keys.FindCommitted("q", "a").Id);
        Assert.Equal(b, keys.FindCommitted("q", "b").Id);
        await writer.DisposeAsync();
        Assert.Equal(2, await ScalarAsync("SELECT count(*) FROM work_items"));

        long Add(SqliteWriter w, string key)
        {
            var insert = w.Command(
                "INSERT INTO work_items (queue, key, payload, status, attempts, max_attempts, due_at, created_at, updated_at) " +
                "VALUES ('q', @key, '{}', 0, 0, 1, 0, 0, 0)");
            insert.Set("@key", key);
            insert.ExecuteNonQuery();
            var id = w.LastInsertRowId();
            keys.Added("q", key, id);
            return id;
        }
    }

    [Fact]
    public async Task Opening_on_more_unmerged_keys_than_a_generation_merges_them_so_none_are_held_in_memory()
    {
        var keys = Enumerable.Range(0, 50).Select(i => $"b{i:D2}").ToList();
        await using (var writer = await OpenAsync(minKeyGeneration: 1000))
        {
            Assert.Equal(keys.Select(_ => true), await writer.EnqueueAsync("q", [.. keys.Select(Item)]));
        }

        Assert.Equal(0, await ScalarAsync("SELECT count(*) FROM work_keys"));
        await using var store = await OpenAsync(minKeyGeneration: 10);

        Assert.Equal(50, await ScalarAsync("SELECT count(*) FROM work_keys"));
        Assert.Empty(await ((SqliteWorkStore)store).KeyIndexDisagreementsAsync());
        Assert.Equal(keys.Select(_ => false), await store.EnqueueAsync("q", [.. keys.Select(Item)]));
        Assert.Equal([true], await store.EnqueueAsync("q", [Item("after")]));
    }

    private enum Op
    {
        Enqueue,
        FinishAndPrune,
        Requeue,
        Reopen,
    }

    /// <summary>
    /// Any sequence of enqueues (single and batched, new keys and taken ones), prunes, requeues and reopens, with passes into
    /// <c>work_keys</c> every few keys: after every step the keys held in memory and the tables agree exactly
    /// (<see cref="SqliteKeys.Disagreements"/>), and the store's answers agree with a plain set of the keys it holds.
    /// </summary>
    [Fact]
    public async Task The_keys_in_memory_and_the_tables_never_disagree()
    {
        var step = Gen.Select(Gen.Frequency((6, Gen.Const(Op.Enqueue)), (2, Gen.Const(Op.FinishAndPrune)), (1, Gen.Const(Op.Requeue)), (1, Gen.Const(Op.Reopen))),
            Gen.Int[0, 24].Array[1, 6]);
        var run = 0;
        await Gen.Select(Gen.Int[1, 4], step.List[1, 30]).SampleAsync(async (generation, steps) =>
        {
            var path = Path.Combine(_folder, $"property-{Interlocked.Increment(ref run)}.db");
            var held = new HashSet<string>();
            var store = await WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = path, MinKeyGeneration = generation }, _time);
            try
            {
                foreach (var (op, numbers) in steps)
                {
                    var keys = numbers.Select(n => $"key-{n}").ToArray();
                    switch (op)
                    {
                        case Op.Enqueue:
                            var expected = new List<bool>();
                            var batch = new HashSet<string>(held);
                            foreach (var key in keys)
                            {
                                expected.Add(batch.Add(key));
                            }

                            Assert.Equal(expected, await store.EnqueueAsync("q", [.. keys.Select(Item)]));
                            held = batch;
                            break;
                        case Op.FinishAndPrune:
                            // Finish the items of these keys and delete every finished item.
                            var claimed = await store.ClaimAsync("q", 1000);
                            var finishing = claimed.Where(c => keys.Contains(c.Key)).ToList();
                            await store.CompleteAsync([.. finishing.Select(c => WorkCompletion.Succeeded(c.Lease, []))]);
                            await store.CompleteAsync([.. claimed.Except(finishing).Select(c => WorkCompletion.Release(c.Lease, _time.GetUtcNow()))]);
                            await store.PruneAsync("q", _time.GetUtcNow().AddSeconds(1), 1000);
                            held.ExceptWith(finishing.Select(c => c.Key));
                            break;
                        case Op.Requeue:
                            Assert.Equal(held.Contains(keys[0]), await store.RequeueAsync("q", keys[0], _time.GetUtcNow()));
                            break;
                        default:
                            await store.DisposeAsync();
                            store = await WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = path, MinKeyGeneration = generation }, _time);
                            break;
                    }

                    Assert.Empty(await ((SqliteWorkStore)store).KeyIndexDisagreementsAsync());
                    foreach (var key in keys)
                    {
                        Assert.Equal(held.Contains(key), await store.GetAsync("q", key) is not null);
                    }
                }
            }
            finally
            {
                await store.DisposeAsync();
            }
        }, iter: 60);
    }
}
