namespace Switchboard.DurableWork.Tests.Storage;

public sealed class SqliteWorkStoreTests : WorkStoreContract
{
    private readonly string _folder = Directory.CreateTempSubdirectory("switchboard-sqlite-").FullName;

    protected override Task<IWorkStore> OpenStoreAsync(TimeProvider time) =>
        WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = Path.Combine(_folder, "data", "work.db") }, time);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Reopening_keeps_the_data_and_does_not_migrate_twice()
    {
        await Store.EnqueueAsync("q", [new NewWorkItem("a", "{}", Time.GetUtcNow(), 1)]);
        await Store.DisposeAsync();

        await using var reopened = await OpenStoreAsync(Time);

        Assert.NotNull(await reopened.GetAsync("q", "a"));
        await using var third = await OpenStoreAsync(Time);
    }

    [Fact]
    public async Task The_database_is_in_wal_mode_in_the_data_folder()
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_folder, "data", "work.db")}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";

        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
    }
}
