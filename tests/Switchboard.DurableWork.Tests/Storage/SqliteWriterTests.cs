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

    private static int Insert(SqliteWriter writer, int value)
    {
        var insert = writer.Command("INSERT INTO t (v) VALUES (@v)");
        insert.Set("@v", value);
        return insert.ExecuteNonQuery();
    }
}
