using Npgsql;
using Switchboard.DurableWork;
using Switchboard.Testing;

namespace Switchboard.Delivery.Tests.Outbox;

public sealed class SqliteOutboxTests : OutboxBehaviour
{
    private readonly string _folder = Directory.CreateTempSubdirectory("switchboard-outbox-").FullName;

    protected override Task<IWorkStore> OpenStoreAsync(TimeProvider time) =>
        WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = Path.Combine(_folder, "outbox.db") }, time);

    protected override async Task<IWorkStore> StopWorkerAsync(IWorkStore stopped)
    {
        await stopped.DisposeAsync();
        return await OpenStoreAsync(Time);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}

[Collection(PostgresServer.Collection)]
public sealed class PostgresOutboxTests(PostgresServer server) : OutboxBehaviour
{
    private NpgsqlDataSource? _dataSource;

    protected override async Task<IWorkStore> OpenStoreAsync(TimeProvider time)
    {
        _dataSource ??= await server.CreateDatabaseAsync();
        return await PostgresWorkStore.OpenAsync(_dataSource, time: time);
    }

    /// <summary>
    /// The worker goes away (its heartbeat row with it, as after a takeover; the heartbeat timeout itself is tested with the
    /// store), and another opens.
    /// </summary>
    protected override async Task<IWorkStore> StopWorkerAsync(IWorkStore stopped)
    {
        await stopped.DisposeAsync();
        return await OpenStoreAsync(Time);
    }
}
