using Microsoft.Data.Sqlite;
using Switchboard.DurableWork.Sqlite;

namespace Switchboard.DurableWork.Tests.Storage;

public sealed class SqliteWriterTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("switchboard-writer-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_failing_write_is_undone_alone_and_the_writes_sharing_its_transaction_commit()
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(_folder, "w.db")}");
        await connection.OpenAsync();
        using (var create = connection.CreateCommand())
        {
            create.CommandText = "CREATE TABLE t (v INTEGER NOT NULL UNIQUE)";
            create.ExecuteNonQuery();
        }

        var writer = new SqliteWriter(connection, maxJobsPerTransaction: 16);
        using var gate = new ManualResetEventSlim();
        // The first write holds the writer until the others are queued, so they share the next transaction.
        var first = writer.WriteAsync(w => { gate.Wait(); return Insert(w, 1); }, CancellationToken.None);
        var second = writer.WriteAsync(w => Insert(w, 2), CancellationToken.None);
        var failing = writer.WriteAsync(w => Insert(w, 3) + Insert(w, 2), CancellationToken.None);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var cancelledWrite = writer.WriteAsync(w => Insert(w, 5), cancelled.Token);
        var fourth = writer.WriteAsync(w => Insert(w, 4), CancellationToken.None);
        gate.Set();

        Assert.Equal(1, await first);
        Assert.Equal(1, await second);
        Assert.Equal(1, await fourth);
        await Assert.ThrowsAsync<SqliteException>(() => failing);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelledWrite);
        await writer.DisposeAsync();

        await using var read = new SqliteConnection($"Data Source={Path.Combine(_folder, "w.db")}");
        await read.OpenAsync();
        using var select = read.CreateCommand();
        select.CommandText = "SELECT group_concat(v) FROM (SELECT v FROM t ORDER BY v)";
        Assert.Equal("1,2,4", (string?)await select.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_write_completes_only_after_the_log_holding_its_commit_is_flushed_and_fails_if_the_flush_fails()
    {
        var path = Path.Combine(_folder, "w.db");
        var connection = await OpenWalAsync(path);
        using var flushing = new SemaphoreSlim(0);
        var flushes = 0;
        var failNextFlush = false;
        var writer = new SqliteWriter(connection, maxJobsPerTransaction: 16, new SqliteLogSync(path + "-wal", _ =>
        {
            flushing.Wait();
            Interlocked.Increment(ref flushes);
            if (failNextFlush)
            {
                throw new IOException("the disk is gone");
            }
        }));

        var write = writer.WriteAsync(w => Insert(w, 1), CancellationToken.None);

        // Committed (another connection sees it) but not flushed: the write is not done.
        await WaitUntilAsync(async () => await CountAsync(path) == 1);
        Assert.False(write.IsCompleted);
        flushing.Release();
        Assert.Equal(1, await write);
        Assert.Equal(1, flushes);

        failNextFlush = true;
        var unflushed = writer.WriteAsync(w => Insert(w, 2), CancellationToken.None);
        flushing.Release();
        await Assert.ThrowsAsync<IOException>(() => unflushed);

        failNextFlush = false;
        flushing.Release(100);
        await writer.DisposeAsync();
    }

    private static async Task<SqliteConnection> OpenWalAsync(string path)
    {
        var connection = new SqliteConnection($"Data Source={path}");
        await connection.OpenAsync();
        using var setup = connection.CreateCommand();
        setup.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; CREATE TABLE t (v INTEGER NOT NULL UNIQUE)";
        setup.ExecuteNonQuery();
        return connection;
    }

    private static async Task<long> CountAsync(string path)
    {
        await using var read = new SqliteConnection($"Data Source={path}");
        await read.OpenAsync();
        using var count = read.CreateCommand();
        count.CommandText = "SELECT count(*) FROM t";
        return (long)(await count.ExecuteScalarAsync())!;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 500 && !await condition(); i++)
        {
            await Task.Delay(20);
        }

        Assert.True(await condition(), "the condition did not come true within 10 s");
    }

    private static int Insert(SqliteWriter writer, int value)
    {
        var insert = writer.Command("INSERT INTO t (v) VALUES (@v)");
        insert.Set("@v", value);
        return insert.ExecuteNonQuery();
    }
}
