using System.Diagnostics;
using Switchboard.Delivery.Http;
using Switchboard.Delivery.Outbox;
using Switchboard.DurableWork;
using Switchboard.Events;
using Switchboard.Testing;

namespace Switchboard.Delivery.Tests.Outbox;

/// <summary>
/// Isolation: one target that accepts requests and never answers must not delay the webhooks of another. The hanging
/// requests would time out only after a minute, far past the bound asserted.
/// </summary>
public sealed partial class DispatcherLoopTests
{
    /// <summary>Generous for a loaded machine (measured well under 1 s, docs/benchmarks.md), far below the hang.</summary>
    private static readonly TimeSpan HealthyBound = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task A_healthy_targets_webhooks_leave_at_once_while_a_target_and_its_failover_hang()
    {
        await using var hanging = await SlowApp.StartAsync();
        await using var hangingFailover = await SlowApp.StartAsync();
        await using var healthy = await SlowApp.StartAsync();
        hanging.AnswerWhen = _ => Task.Delay(Timeout.Infinite);
        hangingFailover.AnswerWhen = _ => Task.Delay(Timeout.Infinite);
        var options = new DeliveryOptions();
        await using var run = await StartAsync(options);

        // As in the report: 150 messages to a profile whose URL and failover hang, more than the dispatcher has slots.
        foreach (var _ in Enumerable.Range(0, 150))
        {
            await run.Outbox.PublishAsync(Webhook(hanging.Url("/hooks"), hangingFailover.Url("/failover")));
        }

        await Eventually.TrueAsync(() => hanging.Received.Count >= options.PerTargetLimit, "the hanging target to fill its slots", Patience);

        await AssertHealthyLeaveAtOnceAsync(run.Outbox, healthy);
        // The hanging target held its own share only, and nothing reached its failover: every request to it still hangs.
        Assert.Equal(options.PerTargetLimit, hanging.Received.Count);
        Assert.Empty(hangingFailover.Received);
    }

    [Fact]
    public async Task Deliveries_to_a_stalled_target_are_given_back_uncounted_instead_of_filling_the_dispatcher()
    {
        await using var hanging = await SlowApp.StartAsync();
        await using var healthy = await SlowApp.StartAsync();
        hanging.AnswerWhen = _ => Task.Delay(Timeout.Infinite);
        // A small dispatcher (one slot per target, 16 deliveries in hand), so 100 hanging deliveries are more than it holds.
        var options = new DeliveryOptions { MaxConcurrency = 4, MaxConcurrencyPerTarget = 1, ClaimBatchSize = 8 };
        await using var run = await StartAsync(options);

        var doomed = Enumerable.Range(0, 100).Select(_ => Webhook(hanging.Url("/hooks"))).ToList();
        await run.Outbox.PublishAsync(doomed);
        await Eventually.TrueAsync(() => hanging.Received.Count >= 1, "the hanging target to get its request", Patience);

        await AssertHealthyLeaveAtOnceAsync(run.Outbox, healthy);
        Assert.Single(hanging.Received);
        // The healthy five are recorded delivered in a batch after they arrive: wait for that, so what is pending is the doomed.
        await Eventually.TrueAsync(
            async () => (await run.Outbox.QueryAsync(new DeliveryQuery { Status = DeliveryStatus.Delivered })).TotalResults == 5,
            "the healthy webhooks to be recorded delivered", Patience);
        // Given back and put off, not attempted: no attempt counted, none logged.
        var pending = await run.Outbox.QueryAsync(new DeliveryQuery { Status = DeliveryStatus.Pending, PageSize = 100 });
        Assert.Equal(100, pending.TotalResults);
        Assert.All(pending.Deliveries, d => Assert.Equal((0, 0), (d.AttemptCount, d.Attempts.Count)));
    }

    /// <summary>Five webhooks to the healthy app, one after another, each received within <see cref="HealthyBound"/> of its publishing.</summary>
    private static async Task AssertHealthyLeaveAtOnceAsync(WebhookOutbox outbox, SlowApp healthy)
    {
        foreach (var i in Enumerable.Range(0, 5))
        {
            var webhook = Webhook(healthy.Url("/ok"));
            var published = Stopwatch.GetTimestamp();
            await outbox.PublishAsync(webhook);
            await Eventually.TrueAsync(() => healthy.Received.Any(p => p.EventId == webhook.EventId), "the healthy webhook to arrive", Patience);
            var took = Stopwatch.GetElapsedTime(published, healthy.Received.Single(p => p.EventId == webhook.EventId).ReceivedAt);
            Assert.True(took < HealthyBound, $"healthy webhook {i} arrived {took.TotalMilliseconds:F0} ms after it was published");
        }
    }

    private static OutboundWebhook Webhook(params Uri[] chain) =>
        OutboundWebhook.From(SampleEvents.Create(EventTypes.MessageSent, TimeProvider.System), [.. chain.Select(url => new WebhookTarget(url))]);

    private async Task<Running> StartAsync(DeliveryOptions options)
    {
        var sender = new HttpWebhookSender(new HttpWebhookSenderOptions { AllowPrivateNetworks = true, Timeout = TimeSpan.FromMinutes(1) });
        var store = await WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = Path.Combine(_folder, "outbox.db") });
        var outbox = new WebhookOutbox(store, options);
        var dispatcher = new DeliveryDispatcher(outbox, sender, new WebhookSigningKeys(_key));
        return new Running(outbox, dispatcher, RunningWorker.Start(dispatcher.NewWorker()), sender, store);
    }

    private sealed record Running(WebhookOutbox Outbox, DeliveryDispatcher Dispatcher, RunningWorker Worker, HttpWebhookSender Sender, IWorkStore Store) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Worker.DisposeAsync();
            Dispatcher.Dispose();
            Sender.Dispose();
            await Store.DisposeAsync();
        }
    }
}
