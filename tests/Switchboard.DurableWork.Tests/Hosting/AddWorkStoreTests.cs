extern alias pg;

using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Switchboard.Testing;
using pg::Switchboard.DurableWork;

namespace Switchboard.DurableWork.Tests.Hosting;

/// <summary><c>services.AddWorkStore(...)</c>: the host's one store, opened once when it starts and disposed with it.</summary>
[Collection(PostgresServer.Collection)]
public sealed class AddWorkStoreTests(PostgresServer postgres) : IDisposable
{
    // The second would fail if run twice (the same key).
    private static readonly string[] TableMigrations = ["CREATE TABLE app_notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)", "INSERT INTO app_notes (id, text) VALUES (1, 'kept')"];

    private readonly string _folder = Directory.CreateTempSubdirectory("switchboard-addworkstore-").FullName;

    private string DatabasePath => Path.Combine(_folder, "data", "app.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private static IHost Build(Action<WorkStoreBuilder> store, Action<IServiceCollection>? before = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        before?.Invoke(builder.Services);
        builder.Services.AddWorkStore(store);
        return builder.Build();
    }

    private IHost BuildSqlite(Action<IServiceCollection>? before = null) => Build(b => b.UseSqlite(o => o.DatabasePath = DatabasePath), before);

    private static Task<IReadOnlyList<string>> NotesAsync(IWorkStore store) =>
        store.ReadAsync(reader => reader.QueryAsync("SELECT text FROM app_notes", row => row.GetString(0)));

    private static Task<IReadOnlyList<bool>> EnqueueAsync(IHost host, string key) =>
        host.Services.GetRequiredService<IWorkStore>().EnqueueAsync("q", [new NewWorkItem(key, "{}", TimeProvider.System.GetUtcNow(), 1)]);

    [Fact]
    public async Task Registering_opens_nothing_the_start_opens_the_store_once_with_the_migrations_added()
    {
        await using var host = (IAsyncDisposable)Build(b => b.UseSqlite(o => o.DatabasePath = DatabasePath).AddMigrations("app", TableMigrations));
        var app = (IHost)host;

        Assert.False(File.Exists(DatabasePath));
        var early = Assert.Throws<InvalidOperationException>(() => app.Services.GetRequiredService<IWorkStore>());
        Assert.Contains("opened when the host starts", early.Message, StringComparison.Ordinal);

        await app.StartAsync();
        var store = app.Services.GetRequiredService<IWorkStore>();

        Assert.Same(store, app.Services.GetRequiredService<IWorkStore>());
        Assert.Equal<string>(["kept"], await NotesAsync(store));
        Assert.Equal(WorkStoreBackend.Sqlite, store.Backend);
        await app.StopAsync();
    }

    [Fact]
    public async Task The_store_is_open_for_a_hosted_service_registered_before_it()
    {
        var enqueued = new TaskCompletionSource<IReadOnlyList<bool>>();
        using var host = BuildSqlite(services => services.AddHostedService(sp => new StartsWith(async () => enqueued.SetResult(
            await sp.GetRequiredService<IWorkStore>().EnqueueAsync("q", [new NewWorkItem("first", "{}", TimeProvider.System.GetUtcNow(), 1)])))));

        await host.StartAsync();

        Assert.Equal([true], await enqueued.Task);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_second_host_on_the_same_file_is_refused_at_start_and_the_first_keeps_working()
    {
        using var first = BuildSqlite();
        await first.StartAsync();
        using var second = BuildSqlite();

        var refused = await Assert.ThrowsAsync<WorkStoreInUseException>(() => second.StartAsync());

        Assert.Contains($"process id {Environment.ProcessId}", refused.Message, StringComparison.Ordinal);
        Assert.Equal([true], await EnqueueAsync(first, "still-works"));
        await first.StopAsync();
    }

    [Fact]
    public async Task Disposing_the_host_releases_the_file_so_a_new_host_opens_it_at_once()
    {
        var first = BuildSqlite();
        await first.StartAsync();
        await EnqueueAsync(first, "before");
        await first.StopAsync();
        await ((IAsyncDisposable)first).DisposeAsync();

        using var next = BuildSqlite();
        await next.StartAsync();

        Assert.NotNull(await next.Services.GetRequiredService<IWorkStore>().GetAsync("q", "before"));
        await next.StopAsync();
    }

    [Fact]
    public async Task A_migration_that_fails_stops_the_start_and_leaves_the_file_free()
    {
        using (var broken = Build(b => b.UseSqlite(o => o.DatabasePath = DatabasePath).AddMigrations("app", ["CREATE TABLE nonsense ("])))
        {
            await Assert.ThrowsAsync<SqliteException>(() => broken.StartAsync());
        }

        using var next = BuildSqlite();
        await next.StartAsync();
        Assert.Equal([true], await EnqueueAsync(next, "after"));
        await next.StopAsync();
    }

    [Fact]
    public async Task Without_a_store_chosen_the_start_says_so()
    {
        using var host = Build(b => b.AddMigrations("app", TableMigrations));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains("UseSqlite", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostgreSQL_from_a_connection_string_is_shared_by_two_hosts_with_the_migrations_applied_once()
    {
        await using var database = await postgres.CreateDatabaseAsync();
        var connectionString = database.ConnectionString;
        using var a = Build(b => b.UseNpgsql(connectionString).AddMigrations("app", TableMigrations));
        using var b = Build(b => b.UseNpgsql(connectionString, o => o.TakeoverAfter = TimeSpan.FromSeconds(30)).AddMigrations("app", TableMigrations));

        await a.StartAsync();
        await b.StartAsync();

        var storeA = a.Services.GetRequiredService<IWorkStore>();
        Assert.Equal(WorkStoreBackend.Postgres, storeA.Backend);
        Assert.Equal([true], await EnqueueAsync(a, "shared"));
        Assert.Equal([false], await EnqueueAsync(b, "shared"));
        Assert.Equal<string>(["kept"], await NotesAsync(b.Services.GetRequiredService<IWorkStore>()));
        await a.StopAsync();
        await b.StopAsync();
    }

    [Fact]
    public async Task PostgreSQL_through_a_data_source_leaves_the_data_source_to_its_owner()
    {
        await using var dataSource = await postgres.CreateDatabaseAsync();
        var host = Build(b => b.UseNpgsql(dataSource));
        await host.StartAsync();
        Assert.Equal([true], await EnqueueAsync(host, "a"));
        await host.StopAsync();

        await ((IAsyncDisposable)host).DisposeAsync();

        await using var command = dataSource.CreateCommand("SELECT count(*) FROM work_workers");
        Assert.Equal(0L, await command.ExecuteScalarAsync());
    }

    private sealed class StartsWith(Func<Task> start) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => start();

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
