using Npgsql;
using Switchboard.Testing;

namespace Switchboard.DurableWork.Tests.Storage;

[Collection(PostgresCollection.Name)]
public sealed class PostgresWorkStoreTests(PostgresServer server) : WorkStoreContract
{
    private NpgsqlDataSource? _dataSource;

    protected override async Task<IWorkStore> OpenStoreAsync(TimeProvider time)
    {
        _dataSource ??= await server.CreateDatabaseAsync();
        return await WorkStore.OpenPostgresAsync(_dataSource, time);
    }

    [Fact]
    public async Task Workers_starting_together_migrate_once_and_share_the_data()
    {
        var fresh = await server.CreateDatabaseAsync();
        var stores = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => WorkStore.OpenPostgresAsync(fresh, Time)));
        await stores[0].EnqueueAsync("q", [new NewWorkItem("a", "{}", Time.GetUtcNow(), 1)]);

        Assert.NotNull(await stores[3].GetAsync("q", "a"));
        await using var versions = fresh.CreateCommand("SELECT count(*) FROM durable_work_schema");
        Assert.Equal(1L, await versions.ExecuteScalarAsync());
    }
}
