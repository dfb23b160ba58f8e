using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Switchboard.Delivery.Outbox;
using Switchboard.DurableWork;
using Switchboard.Testing;
using Xunit.Abstractions;

namespace Switchboard.Delivery.Tests.Crash;

/// <summary>
/// Issue 20 on SQLite, with real processes: a dispatcher killed with SIGKILL while its deliveries wait for a slow
/// endpoint resumes them the moment it restarts (not when a lease runs out), each sent again with the next attempt
/// number, and the attempt log shows the interrupted attempts.
/// </summary>
public sealed class DispatcherRestartTests(ITestOutputHelper output) : CrashFolderTest("switchboard-restart-")
{
    private const int InFlight = 5;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Deliveries_in_flight_at_a_kill_go_out_again_within_2_s_of_the_restart_with_the_next_attempt_number()
    {
        await using var app = await SlowApp.StartAsync();
        // First attempts are held until the kill cuts them off; the ones after it are answered at once.
        var never = new TaskCompletionSource();
        app.AnswerWhen = post => post.Attempt == 1 ? never.Task : Task.CompletedTask;
        var database = Path.Combine(Folder, "outbox.db");
        string[] ids;
        await using (var store = await WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = database }))
        {
            ids = await DispatcherHost.PublishAsync(new WebhookOutbox(store, new DeliveryOptions { Schedule = DispatcherHost.Schedule }), app.Url("/slow"), InFlight);
        }

        using (var first = await DispatcherHost.StartAsync("--sqlite", database))
        {
            await Eventually.TrueAsync(() => app.Received.Count == InFlight, "every delivery to reach the slow app");
            first.Kill9();
        }

        using var second = await DispatcherHost.StartAsync("--sqlite", database, "--exit-when-done");
        var resent = await Eventually.GetAsync(
            () => Task.FromResult(app.Received.Where(p => p.Attempt != 1).ToList()), r => r.Count >= InFlight, "the interrupted deliveries to go out again");
        Assert.Equal(0, await second.WaitForExitAsync());

        Assert.Equal(ids.Order(), resent.Select(p => p.EventId).Order());
        Assert.All(resent, p => Assert.Equal(2, p.Attempt));
        var afterReady = resent.Select(p => second.Ready!.Until(p.ReceivedAt)).Max();
        var afterStart = resent.Select(p => Stopwatch.GetElapsedTime(second.StartedAt, p.ReceivedAt)).Max();
        output.WriteLine($"the last of {InFlight} interrupted deliveries went out again {afterReady.TotalMilliseconds:0} ms after the restarted " +
            $"dispatcher was ready ({afterStart.TotalMilliseconds:0} ms after its process started)");
        Assert.True(afterReady <= Bound, $"resent {afterReady.TotalMilliseconds:0} ms after the restarted dispatcher was ready");

        await using var reopened = await WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = database });
        var outbox = new WebhookOutbox(reopened, new DeliveryOptions { Schedule = DispatcherHost.Schedule });
        foreach (var id in ids)
        {
            DispatcherHost.AssertDeliveredAfterOneInterruption(await outbox.GetAsync(id));
        }
    }
}
