using Switchboard.Testing;

namespace Switchboard.DurableWork.Tests.Storage;

public sealed class SqliteWorkStoreTests : WorkStoreContract
{
    private readonly string _folder = Directory.CreateTempSubdirectory("switchboard-sqlite-").FullName;

    protected override Task<IWorkStore> OpenStoreAsync(TimeProvider time) =>
        WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = Path.Combine(_folder, "data", "work.db") }, time);

    [Fact]
    public Task A_database_of_the_release_before_documents_keeps_its_platform_resources_and_settings() => DatabaseOfTheReleaseBeforeDocumentsIsAdoptedAsync();

    protected override async Task RewindToBeforeDocumentsAsync(params string[] sql)
    {
        await Store.DisposeAsync();
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_folder, "data", "work.db")};Pooling=False");
        await connection.OpenAsync();
        foreach (var statement in (string[])[BeforeDocuments(4), .. sql])
        {
            await using var command = connection.CreateCommand();
            command.CommandText = statement;
            await command.ExecuteNonQueryAsync();
        }
    }

    protected override Task<string> ExplainAsync(string sql, IReadOnlyList<SqlArg> args) => ExplainOnSqliteAsync(Path.Combine(_folder, "data", "work.db"), sql, args);

    /// <summary>The process "restarts": the store closes without giving anything back, and the file opens again.</summary>
    protected override async Task<IWorkStore> WorkerStoppedAsync()
    {
        await Store.DisposeAsync();
        var next = await OpenStoreAsync(Time);
        Replace(next);
        return next;
    }

    [Fact]
    public async Task A_second_store_on_the_same_file_is_refused_naming_the_folder_and_process_and_the_first_keeps_working()
    {
        var ex = await Assert.ThrowsAsync<WorkStoreInUseException>(() => OpenStoreAsync(Time));

        Assert.Contains(Path.Combine(_folder, "data"), ex.Message, StringComparison.Ordinal);
        Assert.Contains($"process id {Environment.ProcessId}", ex.Message, StringComparison.Ordinal);
        Assert.Equal([true], await Store.EnqueueAsync("q", [new NewWorkItem("still-works", "{}", Time.GetUtcNow(), 1)]));
        Assert.Single(await Store.ClaimAsync("q", 1));
    }
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

        var reopened = await OpenStoreAsync(Time);

        Assert.NotNull(await reopened.GetAsync("q", "a"));
        await reopened.DisposeAsync();
        await using var third = await OpenStoreAsync(Time);
        Assert.NotNull(await third.GetAsync("q", "a"));
    }

    [Fact]
    public async Task The_data_folder_and_every_file_of_its_database_are_owner_only()
    {
        // A write makes the -wal and -shm files.
        await Store.EnqueueAsync("q", [new NewWorkItem("a", "{}", Time.GetUtcNow(), 1)]);

        OwnerOnly.AssertFolder(Path.Combine(_folder, "data"), ["work.db", "work.db-wal", "work.db-shm", "work.db.lock", "work.db.lock.owner"]);
    }

    [Fact]
    public async Task A_world_readable_database_is_made_owner_only_when_it_opens()
    {
        await Store.EnqueueAsync("q", [new NewWorkItem("a", "{}", Time.GetUtcNow(), 1)]);
        await Store.DisposeAsync();
        var folder = Path.Combine(_folder, "data");
        if (!OperatingSystem.IsWindows())
        {
            foreach (var file in Directory.GetFiles(folder))
            {
                File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            }
        }

        Replace(await OpenStoreAsync(Time));
        await Store.EnqueueAsync("q", [new NewWorkItem("b", "{}", Time.GetUtcNow(), 1)]);

        // The folder already existed (it may be the app's own), so only its files change; this one was made by the store.
        OwnerOnly.AssertFolder(folder, ["work.db", "work.db-wal", "work.db-shm", "work.db.lock"]);
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

    [Fact]
    public async Task Pruned_items_give_their_pages_back_in_small_steps_while_the_store_keeps_writing()
    {
        var payload = new string('p', 4000);
        for (var batch = 0; batch < 10; batch++)
        {
            await Store.EnqueueAsync("q", [.. Enumerable.Range(0, 100).Select(i => new NewWorkItem($"{batch}-{i}", payload, Time.GetUtcNow(), 1))]);
            var claimed = await Store.ClaimAsync("q", 100);
            await Store.CompleteAsync([.. claimed.Select(c => WorkCompletion.Succeeded(c.Lease, []))]);
        }

        Assert.Equal(2, await PragmaAsync("auto_vacuum")); // incremental
        var pagesBefore = await PragmaAsync("page_count");
        Assert.Equal(1000, await Store.PruneAsync("q", Time.GetUtcNow().AddSeconds(1), 5000));
        var free = await PragmaAsync("freelist_count");
        Assert.True(free > 1000, $"{free} free pages after deleting 1,000 four-kilobyte items");

        Assert.Equal(10, await Store.ReclaimSpaceAsync(10));
        long released = 10;
        int step;
        while ((step = await Store.ReclaimSpaceAsync(256)) > 0)
        {
            Assert.True(step <= 256);
            released += step;
        }

        Assert.Equal(free, released);
        Assert.Equal(0, await PragmaAsync("freelist_count"));
        // The file lost those pages (and the pointer-map pages that tracked them).
        Assert.InRange(await PragmaAsync("page_count"), 1, pagesBefore - free);
        Assert.Equal([true], await Store.EnqueueAsync("q", [new NewWorkItem("after", payload, Time.GetUtcNow(), 1)]));
    }

    private async Task<long> PragmaAsync(string name)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_folder, "data", "work.db")};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {name}";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Under_sustained_writes_the_write_ahead_log_is_rewound_instead_of_growing()
    {
        // About 3 x 8,000 log pages (the rewind threshold) of writes, in transactions of 100 four-kilobyte items.
        var payload = new string('p', 4000);
        for (var batch = 0; batch < 240; batch++)
        {
            await Store.EnqueueAsync("q", [.. Enumerable.Range(0, 100).Select(i => new NewWorkItem($"{batch}-{i}", payload, Time.GetUtcNow(), 1))]);
        }

        var written = 240L * 100 * 4096;
        var log = new FileInfo(Path.Combine(_folder, "data", "work.db-wal"));
        Assert.True(log.Exists);
        Assert.True(log.Length < written * 6 / 10, $"the log is {log.Length / 1024 / 1024} MiB after {written / 1024 / 1024} MiB of writes");
        Assert.Equal(24_000, await Store.CountPendingAsync("q"));
    }
}
