using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Switchboard.Delivery.Outbox;
using Switchboard.DurableWork;
using Switchboard.Testing;
using Xunit.Abstractions;

namespace Switchboard.Delivery.Tests.Crash;

/// <summary>
/// Issue 20 on PostgreSQL, with real processes: two dispatcher processes on one database. One that is killed or paused
/// during slow deliveries has them taken over by the other within the takeover timeout and 2 s; one whose delivery
/// takes 30 s keeps it; one paused past the timeout and continued has its late result refused. The test's own store
/// (which publishes and reads) is a third worker, with the default timeout of 10 s, longer than the dispatchers' own.
/// </summary>
[Collection(PostgresServer.Collection)]
public sealed class TakeoverTests(PostgresServer server, ITestOutputHelper output)
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan TakeoverAfter = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Bound = TakeoverAfter + TimeSpan.FromSeconds(2);

    [Fact]
    public async Task The_deliveries_of_a_worker_killed_mid_flight_go_out_from_the_other_within_the_takeover_timeout_and_2_s()
    {
        await using var app = await SlowApp.StartAsync();
        var never = new TaskCompletionSource();
        app.AnswerWhen = post => post.Attempt == 1 ? never.Task : Task.CompletedTask;
        await using var fleet = await StartAsync(app, deliveries: 5);
        var (outbox, ids) = (fleet.Outbox, fleet.Ids);
        fleet.First.Kill9();
        var killedAt = Stopwatch.GetTimestamp();

        var resent = await Eventually.GetAsync(
            () => Task.FromResult(app.Received.Where(p => p.Attempt != 1).ToList()), r => r.Count >= ids.Length, "the other worker to send them again");
        await Eventually.TrueAsync(async () => await outbox.CountPendingAsync() == 0, "the other worker to record them");

        Assert.Equal(ids.Order(), resent.Select(p => p.EventId).Order());
        Assert.All(resent, p => Assert.Equal(2, p.Attempt));
        var afterKill = resent.Select(p => Stopwatch.GetElapsedTime(killedAt, p.ReceivedAt)).Max();
        output.WriteLine($"taken over and sent again {afterKill.TotalMilliseconds:0} ms after the kill (takeover timeout {TakeoverAfter.TotalSeconds} s)");
        Assert.True(afterKill <= Bound, $"sent again {afterKill.TotalMilliseconds:0} ms after the kill");
        foreach (var id in ids)
        {
            DispatcherHost.AssertDeliveredAfterOneInterruption(await outbox.GetAsync(id));
        }
    }

    [Fact]
    public async Task A_worker_whose_delivery_takes_30_s_keeps_it()
    {
        var answer = TimeSpan.FromSeconds(30);
        await using var app = await SlowApp.StartAsync();
        app.AnswerWhen = _ => Task.Delay(answer);
        await using var fleet = await StartAsync(app, deliveries: 1);
        var (outbox, id) = (fleet.Outbox, fleet.Ids.Single());

        var delivery = await Eventually.GetAsync(() => outbox.GetAsync(id), d => d?.Status != DeliveryStatus.Pending, "the slow delivery to end", answer * 2);

        // One request, one attempt: the other worker, heart-beating beside it all along, sent no second copy.
        Assert.Single(app.Received);
        Assert.Equal((DeliveryStatus.Delivered, 1), (delivery!.Status, delivery.AttemptCount));
        var attempt = Assert.Single(delivery.Attempts);
        Assert.True(attempt.FinishedAt - attempt.StartedAt >= answer - TimeSpan.FromSeconds(1), $"the attempt took {attempt.FinishedAt - attempt.StartedAt}");
        Assert.False(fleet.First.HasExited || fleet.Second.HasExited, "a worker ended");
        Assert.DoesNotContain(fleet.Second.Lines, l => l.Text.Contains("Took over", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_worker_paused_past_the_takeover_timeout_and_continued_has_its_late_result_refused()
    {
        await using var app = await SlowApp.StartAsync();
        var release = new TaskCompletionSource();
        app.AnswerWhen = post => post.Attempt == 1 ? release.Task : Task.CompletedTask;
        await using var fleet = await StartAsync(app, deliveries: 1);
        var (outbox, id, paused) = (fleet.Outbox, fleet.Ids.Single(), fleet.First);
        await paused.PauseAsync();
        var pausedAt = Stopwatch.GetTimestamp();

        var second = await Eventually.GetAsync(() => Task.FromResult(app.Received.ElementAtOrDefault(1)), p => p is not null, "the other worker to take the delivery over");
        var delivered = await Eventually.GetAsync(() => outbox.GetAsync(id), d => d?.Status == DeliveryStatus.Delivered, "the other worker to record it");
        var afterPause = Stopwatch.GetElapsedTime(pausedAt, second!.ReceivedAt);
        output.WriteLine($"taken over and sent again {afterPause.TotalMilliseconds:0} ms after the pause (takeover timeout {TakeoverAfter.TotalSeconds} s)");
        Assert.Equal((id, 2), (second.EventId, second.Attempt));
        Assert.True(afterPause <= Bound, $"sent again {afterPause.TotalMilliseconds:0} ms after the pause");

        // Continued, the paused worker learns that it was presumed stopped; then its request gets its answer, and the
        // result is refused: the store keeps the other worker's.
        await paused.ResumeAsync();
        await paused.WaitForLineAsync(l => l.Contains("was presumed stopped", StringComparison.Ordinal), "the paused worker to learn it was presumed stopped");
        release.SetResult();
        await paused.WaitForLineAsync(l => l.Contains("1 results for queue webhook-deliveries were dropped", StringComparison.Ordinal), "the paused worker's result to be refused");

        var after = await outbox.GetAsync(id);
        DispatcherHost.AssertDeliveredAfterOneInterruption(after);
        Assert.Equal(delivered!.FinishedAt, after!.FinishedAt);
        Assert.Equal([1, 2], app.Received.Select(p => p.Attempt));
        Assert.False(paused.HasExited, "the paused worker ended");
    }

    /// <summary>
    /// A new database with the test's own outbox (a store of its own: it publishes and reads), a first worker that has
    /// sent <paramref name="deliveries"/> deliveries to the app, and a second worker ready beside it.
    /// </summary>
    private async Task<Fleet> StartAsync(SlowApp app, int deliveries)
    {
        var dataSource = await server.CreateDatabaseAsync();
        var store = await PostgresWorkStore.OpenAsync(dataSource);
        var outbox = new WebhookOutbox(store, new DeliveryOptions { Schedule = DispatcherHost.Schedule });
        var first = await StartWorkerAsync(dataSource);
        try
        {
            var ids = await DispatcherHost.PublishAsync(outbox, app.Url("/slow"), deliveries);
            await Eventually.TrueAsync(() => app.Received.Count == deliveries, "the first worker to send the deliveries");
            return new Fleet(store, outbox, ids, first, await StartWorkerAsync(dataSource));
        }
        catch
        {
            first.Dispose();
            await store.DisposeAsync();
            throw;
        }
    }

    private sealed record Fleet(IWorkStore Store, WebhookOutbox Outbox, string[] Ids, ChildProcess First, ChildProcess Second) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            First.Dispose();
            Second.Dispose();
            await Store.DisposeAsync();
        }
    }

    private static Task<ChildProcess> StartWorkerAsync(NpgsqlDataSource dataSource) =>
        DispatcherHost.StartAsync(
            "--postgres", dataSource.ConnectionString,
            "--heartbeat", Heartbeat.TotalSeconds.ToString(CultureInfo.InvariantCulture),
            "--takeover-after", TakeoverAfter.TotalSeconds.ToString(CultureInfo.InvariantCulture));
}
