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
    public async Task A_deferrable_write_commits_with_the_next_write_not_alone()
    {
        var commits = new CommitCounter();
        var writer = new SqliteWriter(await CreateTableAsync(), maxJobsPerTransaction: 16, commits, deferrableWait: TimeSpan.FromMinutes(10));
        var deferred = writer.WriteAsync(w => Insert(w, 1), CancellationToken.None, deferrable: true);
        var another = writer.WriteAsync(w => Insert(w, 2), CancellationToken.None, deferrable: true);
        await Task.Delay(300);
        Assert.False(deferred.IsCompleted, deferred.Exception?.ToString());
        Assert.Equal(0, commits.Count);

        Assert.Equal(1, await writer.WriteAsync(w => Insert(w, 3), CancellationToken.None));
        Assert.Equal(1, await deferred);
        Assert.Equal(1, await another);
        Assert.Equal(1, commits.Count);

        // Closing the writer commits what still waits, rather than leaving it waiting.
        var last = writer.WriteAsync(w => Insert(w, 4), CancellationToken.None, deferrable: true);
        await writer.DisposeAsync();
        Assert.Equal(1, await last);
        Assert.Equal(2, commits.Count);
    }

    [Fact]
    public async Task A_deferrable_write_with_no_write_to_join_commits_once_its_wait_is_over()
    {
        var writer = new SqliteWriter(await CreateTableAsync(), maxJobsPerTransaction: 16, deferrableWait: TimeSpan.FromMilliseconds(50));
        Assert.Equal(1, await writer.WriteAsync(w => Insert(w, 1), CancellationToken.None, deferrable: true).WaitAsync(TimeSpan.FromSeconds(60)));
        await writer.DisposeAsync();
    }

    private async Task<SqliteConnection> CreateTableAsync()
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(_folder, "d.db")}");
        await connection.OpenAsync();
        using var create = connection.CreateCommand();
        create.CommandText = "CREATE TABLE t (v INTEGER NOT NULL UNIQUE)";
        create.ExecuteNonQuery();
        return connection;
    }

    private sealed class CommitCounter : ISqliteTransactionParticipant
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Begin(SqliteConnection connection)
        {
        }

        public void BeforeCommit(SqliteWriter writer)
        {
        }

        public void Committed() => Interlocked.Increment(ref _count);

        public void RolledBack()
        {
        }

        public int Mark() => 0;

        public void RollbackTo(int mark)
        {
        }
    }

    private static int Insert(SqliteWriter writer, int value)
    {
        var insert = writer.Command("INSERT INTO t (v) VALUES (@v)");
        insert.Set("@v", value);
        return insert.ExecuteNonQuery();
    }
}
