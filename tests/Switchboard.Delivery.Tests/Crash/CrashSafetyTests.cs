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
public sealed class CrashSafetyTests(ITestOutputHelper output) : IDisposable
{
    private const int Events = 3000;
    private const int Kills = 4;
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    private readonly string _folder = Directory.CreateTempSubdirectory("switchboard-crash-").FullName;
    private readonly List<Process> _processes = [];

    public void Dispose()
    {
        foreach (var process in _processes)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }

            process.Dispose();
        }

        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Killed_dispatchers_lose_nothing_and_repeat_only_attempts_in_flight_at_a_kill()
    {
        await using var sink = await LoopbackSink.StartAsync();
        var database = Path.Combine(_folder, "outbox.db");
        var leasedAtKills = new List<string>();

        for (var kill = 1; kill <= Kills; kill++)
        {
            var host = StartHost(database, sink);
            // Under load: wait until this run has delivered something, then kill it mid-flight.
            var before = sink.Count;
            await WaitUntilAsync(() => sink.Count >= before + 100 || host.HasExited, $"run {kill} to deliver");
            host.Kill(entireProcessTree: true);
            await host.WaitForExitAsync();
            leasedAtKills.AddRange(await LeasedKeysAsync(database));
        }

        var last = StartHost(database, sink);
        await RunsToTheEndAsync(last);
        await AssertEveryEventEndedAsync(database, sink);

        var requests = sink.Received.Select(r => Attempt(r.Body)).ToList();
        var repeated = requests.GroupBy(r => r).Where(g => g.Count() > 1).ToList();
        var duplicates = repeated.Sum(g => g.Count() - 1);
        Assert.True(duplicates <= leasedAtKills.Count, $"{duplicates} duplicate requests, but only {leasedAtKills.Count} deliveries were in flight at the kills");
        output.WriteLine($"{sink.Count} requests for {Events} events; {leasedAtKills.Count} deliveries in flight at {Kills} kills; {duplicates} repeated");
        Assert.NotEmpty(leasedAtKills); // the kills did hit work in flight
        var inFlight = leasedAtKills.ToHashSet();
        Assert.All(repeated, g => Assert.Contains(g.Key.Id, inFlight));
    }

    [Fact]
    public async Task A_full_disk_holds_publishing_back_until_there_is_room_and_loses_nothing()
    {
        await using var sink = await LoopbackSink.StartAsync();
        var database = Path.Combine(_folder, "outbox.db");
        var full = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // No file of the host may grow past 1 MiB: its database fills up while it publishes and delivers.
        var host = StartHost(FileSizeLimit.Dotnet(1024 * 1024, HostArguments(database, sink)), line =>
        {
            if (line.StartsWith("publish failed", StringComparison.Ordinal))
            {
                full.TrySetResult();
            }
        });

        await full.Task.WaitAsync(Patience);
        Assert.False(host.HasExited, "the host ended on a full disk");
        await FileSizeLimit.LiftAsync(host);

        await RunsToTheEndAsync(host);
        await AssertEveryEventEndedAsync(database, sink);
    }

    private Process StartHost(string database, LoopbackSink sink) =>
        StartHost(new ProcessStartInfo("dotnet", HostArguments(database, sink)) { RedirectStandardOutput = true, RedirectStandardError = true }, _ => { });

    private static string[] HostArguments(string database, LoopbackSink sink) =>
        [HostAssembly(), database, sink.BaseAddress.ToString(), Events.ToString(CultureInfo.InvariantCulture)];

    private Process StartHost(ProcessStartInfo start, Action<string> onOutput)
    {
        var process = Process.Start(start)!;
        _processes.Add(process);
        process.OutputDataReceived += (_, line) =>
        {
            if (line.Data is not null)
            {
                onOutput(line.Data);
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task RunsToTheEndAsync(Process host)
    {
        using (var timeout = new CancellationTokenSource(Patience))
        {
            await host.WaitForExitAsync(timeout.Token);
        }

        Assert.Equal(0, host.ExitCode);
    }

    /// <summary>Every event ended delivered (or failed after its three attempts) and reached the sink at least once.</summary>
    private static async Task AssertEveryEventEndedAsync(string database, LoopbackSink sink)
    {
        await using var store = await WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = database });
        var outbox = new WebhookOutbox(store, new DeliveryOptions { Schedule = DeliverySchedule.Parse("0s,1s,2s") });
        Assert.Equal(0, await outbox.CountPendingAsync());
        Assert.Equal(Events * 9 / 10, await CountAsync(outbox, DeliveryStatus.Delivered));
        Assert.Equal(Events / 10, await CountAsync(outbox, DeliveryStatus.Failed));
        var failed = (await outbox.GetAsync("evt-0"))!;
        Assert.Equal((DeliveryStatus.Failed, 3), (failed.Status, failed.AttemptCount));

        var seen = sink.Received.Select(r => Attempt(r.Body).Id).ToHashSet();
        Assert.All(Enumerable.Range(0, Events), i => Assert.Contains($"evt-{i}", seen));
    }

    /// <summary>The host is built beside this test project (same configuration and framework).</summary>
    private static string HostAssembly()
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testBin.Name;
        var configuration = testBin.Parent!.Name;
        var tests = testBin.Parent!.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(tests, "Switchboard.Delivery.CrashHost", "bin", configuration, framework, "Switchboard.Delivery.CrashHost.dll");
        Assert.True(File.Exists(path), $"the crash host is not built: {path}");
        return path;
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

    private static async Task WaitUntilAsync(Func<bool> done, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            Assert.True(clock.Elapsed < Patience, $"gave up waiting for {what}");
            await Task.Delay(20);
        }
    }
}
