using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Switchboard.Delivery.Outbox;
using Switchboard.Delivery.Tests.Outbox;
using Switchboard.DurableWork;
using Switchboard.Testing;
using Xunit.Abstractions;

namespace Switchboard.Delivery.Tests.Crash;

/// <summary>
/// Crash safety with a real process: the dispatcher host (tests/Switchboard.Delivery.CrashHost) publishes and
/// delivers on a SQLite file and is killed with SIGKILL several times under load, then runs to the end. Every
/// event must end delivered (or failed after its schedule), and the sink may see an attempt twice only for
/// deliveries that were leased (in flight) at a kill. Likewise when the disk fills up under it and then has room
/// again. The tests wait for conditions, never for durations.
/// </summary>
public sealed class CrashSafetyTests(ITestOutputHelper output) : CrashFolderTest("switchboard-crash-")
{
    private const int Events = 3000;
    private const int Kills = 4;
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Killed_dispatchers_lose_nothing_and_repeat_only_attempts_in_flight_at_a_kill()
    {
        await using var sink = await OkOrFailEndpoint.StartAsync();
        var database = Path.Combine(Folder, "outbox.db");
        var leasedAtKills = new List<string>();

        for (var kill = 1; kill <= Kills; kill++)
        {
            var host = StartHost(database, sink);
            // Under load: wait until this run has delivered something, then kill it mid-flight.
            var before = sink.Received.Count;
            await Eventually.TrueAsync(() => sink.Received.Count >= before + 100 || host.HasExited, $"run {kill} to deliver", Patience);
            host.Kill9();
            leasedAtKills.AddRange(await LeasedKeysAsync(database));
        }

        var last = StartHost(database, sink);
        await RunsToTheEndAsync(last);
        await AssertEveryEventEndedAsync(database, sink);

        var requests = sink.Received.Select(r => Attempt(r.Body)).ToList();
        var repeated = requests.GroupBy(r => r).Where(g => g.Count() > 1).ToList();
        var duplicates = repeated.Sum(g => g.Count() - 1);
        Assert.True(duplicates <= leasedAtKills.Count, $"{duplicates} duplicate requests, but only {leasedAtKills.Count} deliveries were in flight at the kills");
        output.WriteLine($"{sink.Received.Count} requests for {Events} events; {leasedAtKills.Count} deliveries in flight at {Kills} kills; {duplicates} repeated");
        Assert.NotEmpty(leasedAtKills); // the kills did hit work in flight
        var inFlight = leasedAtKills.ToHashSet();
        Assert.All(repeated, g => Assert.Contains(g.Key.Id, inFlight));
    }

    [Fact]
    public async Task A_full_disk_holds_publishing_back_until_there_is_room_and_loses_nothing()
    {
        await using var sink = await OkOrFailEndpoint.StartAsync();
        var database = Path.Combine(Folder, "outbox.db");
        // No file of the host may grow past 1 MiB: its database fills up while it publishes and delivers.
        var host = Start(FileSizeLimit.Dotnet(1024 * 1024, HostArguments(database, sink)));

        await host.WaitForLineAsync(line => line.StartsWith("publish failed", StringComparison.Ordinal), "the disk to fill up", Patience);
        Assert.False(host.HasExited, "the host ended on a full disk");
        await FileSizeLimit.LiftAsync(host);

        await RunsToTheEndAsync(host);
        await AssertEveryEventEndedAsync(database, sink);
    }

    private ChildProcess StartHost(string database, WebhookSink sink) =>
        Start(new ProcessStartInfo("dotnet", HostArguments(database, sink)));

    private static string[] HostArguments(string database, WebhookSink sink) =>
        [DispatcherHost.Assembly, database, sink.BaseAddress.ToString(), Events.ToString(CultureInfo.InvariantCulture)];

    private static async Task RunsToTheEndAsync(ChildProcess host) => Assert.Equal(0, await host.WaitForExitAsync(Patience));

    /// <summary>Every event ended delivered (or failed after its attempts) and reached the sink at least once.</summary>
    private static async Task AssertEveryEventEndedAsync(string database, WebhookSink sink)
    {
        await using var store = await WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = database });
        var outbox = new WebhookOutbox(store, new DeliveryOptions { Schedule = DeliverySchedule.Parse("0s,1s,2s") });
        Assert.Equal(0, await outbox.CountPendingAsync());
        Assert.Equal(Events * 9 / 10, await CountAsync(outbox, DeliveryStatus.Delivered));
        Assert.Equal(Events / 10, await CountAsync(outbox, DeliveryStatus.Failed));
        // Failed after its three attempts; an interrupted attempt counts as one of them, and one interrupted at or past
        // the last is made again (the request may not have gone out): it ends with the first completed attempt from 3 on.
        var failed = (await outbox.GetAsync("evt-0"))!;
        Assert.Equal(DeliveryStatus.Failed, failed.Status);
        Assert.True(failed.AttemptCount >= 3, $"evt-0 failed after {failed.AttemptCount} attempts");
        Assert.Equal(Enumerable.Range(1, failed.AttemptCount).Reverse(), failed.Attempts.Select(a => a.Attempt));
        Assert.NotEqual("interrupted", failed.Attempts[0].Errors.Single().Code);
        Assert.All(failed.Attempts.Where(a => a.Attempt >= 3 && a.Attempt < failed.AttemptCount), a => Assert.Equal("interrupted", a.Errors.Single().Code));

        var seen = sink.Received.Select(r => Attempt(r.Body).Id).ToHashSet();
        Assert.All(Enumerable.Range(0, Events), i => Assert.Contains($"evt-{i}", seen));
    }

    /// <summary>The deliveries a killed host held leased: the ones it may have been sending when it died.</summary>
    private static async Task<List<string>> LeasedKeysAsync(string database)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var select = connection.CreateCommand();
        select.CommandText = "SELECT key FROM work_items WHERE status = 0 AND lease_owner IS NOT NULL";
        var keys = new List<string>();
        await using var reader = await select.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }

    private static async Task<long> CountAsync(WebhookOutbox outbox, DeliveryStatus status) =>
        (await outbox.QueryAsync(new DeliveryQuery { Status = status, PageSize = 1 })).TotalResults;

    private static (string Id, int Attempt) Attempt(byte[] body)
    {
        using var json = JsonDocument.Parse(body);
        return (json.RootElement.GetProperty("data").GetProperty("id").GetString()!, json.RootElement.GetProperty("meta").GetProperty("attempt").GetInt32());
    }
}
