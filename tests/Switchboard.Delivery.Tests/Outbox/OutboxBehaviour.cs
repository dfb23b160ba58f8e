using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Delivery.Http;
using Switchboard.Delivery.Outbox;
using Switchboard.DurableWork;
using Switchboard.Events;
using Switchboard.Signing;
using Switchboard.Testing;
using static Switchboard.Delivery.Tests.Outbox.ScriptedSender;

namespace Switchboard.Delivery.Tests.Outbox;

/// <summary>
/// What the outbox and its dispatcher do, on a fake clock (no sleeps), run once per storage backend. The dispatcher is
/// the hosted one production runs; <see cref="RunDueAsync"/> waits until it has attempted everything due at the clock's
/// time (its store is watched, see <see cref="IdleWatchedStore"/>), and the test moves the clock.
/// </summary>
public abstract class OutboxBehaviour : IAsyncLifetime
{
    protected const string Primary = "https://primary.example/webhooks";
    protected const string Failover = "https://failover.example/webhooks";
    protected const string Profile = "https://profile.example/webhooks";

    private readonly Ed25519PrivateKey _key = Ed25519PrivateKey.Generate();
    private readonly List<IWorkStore> _stores = [];
    private readonly List<(DeliveryDispatcher Dispatcher, RunningWorker Worker)> _dispatchers = [];

    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 10, 24, 18, 0, 0, TimeSpan.Zero));

    protected IWorkStore Store { get; private set; } = null!;

    protected WebhookOutbox Outbox { get; private set; } = null!;

    protected ScriptedSender Sender { get; private set; } = null!;

    protected WebhookSigningKeys Keys { get; private set; } = null!;

    protected abstract Task<IWorkStore> OpenStoreAsync(TimeProvider time);

    /// <summary>
    /// The store's worker stops as a crash stops it, and the next one takes over: SQLite opens the file again (the
    /// restarted process); PostgreSQL opens another worker once the first one's heartbeat is old. Returns the next store.
    /// </summary>
    protected abstract Task<IWorkStore> StopWorkerAsync(IWorkStore stopped);

    private async Task<IWorkStore> WorkerStoppedAsync()
    {
        var next = new IdleWatchedStore(await StopWorkerAsync(Store), Time);
        _stores.Add(next);
        Store = next;
        return next;
    }

    public virtual async Task InitializeAsync()
    {
        Store = new IdleWatchedStore(await OpenStoreAsync(Time), Time);
        _stores.Add(Store);
        Outbox = new WebhookOutbox(Store, new DeliveryOptions(), Time);
        Sender = new ScriptedSender(Time);
        Keys = new WebhookSigningKeys(_key);
    }

    public virtual async Task DisposeAsync()
    {
        foreach (var (dispatcher, worker) in _dispatchers)
        {
            await worker.DisposeAsync();
            dispatcher.Dispose();
        }

        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }

        _key.Dispose();
    }

    /// <summary>Starts the dispatcher's worker on the outbox (or <paramref name="outbox"/>), as the host starts it.</summary>
    private Task<RunningWorker> StartDispatcherAsync(IWebhookSender? sender = null, WebhookOutbox? outbox = null)
    {
        var dispatcher = new DeliveryDispatcher(outbox ?? Outbox, sender ?? Sender, Keys);
        var worker = RunningWorker.Start(dispatcher.NewWorker());
        _dispatchers.Add((dispatcher, worker));
        return Task.FromResult(worker);
    }

    /// <summary>Waits until the running dispatcher has attempted everything due at the clock's time and recorded the results.</summary>
    private Task RunDueAsync() => ((IdleWatchedStore)Store).WaitUntilIdleAsync();

    private static OutboundWebhook Webhook(string type = EventTypes.MessageSent, params string[] urls)
    {
        var sample = SampleEvents.Create(type, new FakeTimeProvider(new DateTimeOffset(2025, 10, 24, 17, 59, 0, TimeSpan.Zero)));
        return OutboundWebhook.From(sample, [.. (urls.Length == 0 ? [Primary] : urls).Select(u => new WebhookTarget(new Uri(u)))]);
    }

    /// <summary>Lets the dispatcher attempt what is due, then moves the clock to the delivery's next due time (nothing is sent a moment before it); returns the gap moved.</summary>
    private async Task<TimeSpan?> RunAndAdvanceToNextAsync(string id)
    {
        await RunDueAsync();
        var next = (await Outbox.GetAsync(id))!.NextAttemptAt;
        if (next is null)
        {
            return null;
        }

        var gap = next.Value - Time.GetUtcNow();
        var sent = Sender.Requests.Count;
        Time.Advance(gap - TimeSpan.FromMilliseconds(1));
        await RunDueAsync();
        Assert.Equal(sent, Sender.Requests.Count);
        Time.Advance(TimeSpan.FromMilliseconds(1));
        return gap;
    }

    [Fact]
    public async Task Attempts_follow_the_default_schedule_then_the_delivery_fails()
    {
        Sender.Respond = _ => Answer.Status(500);
        var webhook = Webhook();
        var publishedAt = Time.GetUtcNow();
        await Outbox.PublishAsync(webhook);
        await StartDispatcherAsync();

        while (await RunAndAdvanceToNextAsync(webhook.EventId) is not null)
        {
        }

        var requests = Sender.Requests;
        Assert.Equal([1, 2, 3, 4, 5], requests.Select(r => r.Attempt));
        Assert.Equal(
            [TimeSpan.Zero, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15), TimeSpan.FromHours(1)],
            requests.Select((r, i) => r.At - (i == 0 ? publishedAt : requests[i - 1].At)));
        var delivery = (await Outbox.GetAsync(webhook.EventId))!;
        Assert.Equal((DeliveryStatus.Failed, 5, 5), (delivery.Status, delivery.AttemptCount, delivery.MaxAttempts));
        Assert.Equal(requests[^1].At, delivery.FinishedAt);
        Assert.Equal([5, 4, 3, 2, 1], delivery.Attempts.Select(a => a.Attempt));
        Time.Advance(TimeSpan.FromDays(1));
        await RunDueAsync();
        Assert.Equal(5, Sender.Requests.Count);
    }

    [Fact]
    public async Task A_configured_schedule_sets_the_number_and_times_of_attempts()
    {
        Outbox = new WebhookOutbox(Store, new DeliveryOptions { Schedule = DeliverySchedule.Parse("0s,1s,2s") }, Time);
        Sender.Respond = _ => Answer.Failure(SendErrorKind.ConnectionRefused);
        var webhook = Webhook();
        await Outbox.PublishAsync(webhook);
        await StartDispatcherAsync();

        var gaps = new List<TimeSpan>();
        while (await RunAndAdvanceToNextAsync(webhook.EventId) is { } gap)
        {
            gaps.Add(gap);
        }

        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)], gaps);
        Assert.Equal(3, Sender.Requests.Count);
        Assert.Equal(DeliveryStatus.Failed, (await Outbox.GetAsync(webhook.EventId))!.Status);
    }

    [Fact]
    public async Task Each_attempt_tries_the_chain_in_order_until_one_url_answers_2xx()
    {
        Sender.Respond = r => r.Url switch
        {
            Primary => Answer.Status(500),
            Failover => Answer.Failure(SendErrorKind.Timeout),
            _ => Answer.Status(204),
        };
        var webhook = Webhook(urls: [Primary, Failover, Profile]);
        await Outbox.PublishAsync(webhook);

        await StartDispatcherAsync();
        await RunDueAsync();

        Assert.Equal([Primary, Failover, Profile], Sender.Requests.Select(r => r.Url));
        Assert.All(Sender.Requests, r => Assert.Equal((1, r.Url, webhook.EventId), (r.Attempt, r.DeliveredTo, r.EventId)));
        var delivery = (await Outbox.GetAsync(webhook.EventId))!;
        Assert.Equal((DeliveryStatus.Delivered, 1, (DateTimeOffset?)null), (delivery.Status, delivery.AttemptCount, delivery.NextAttemptAt));
        Assert.Equal([Profile, Failover, Primary], delivery.Attempts.Select(a => a.Http.Request.Url));
        Assert.Equal(["delivered", "failed", "failed"], delivery.Attempts.Select(a => a.Status));
        Assert.Equal([Primary, Failover, Profile], delivery.Targets.Select(t => t.Url.OriginalString));
    }

    [Fact]
    public async Task The_next_attempt_is_scheduled_only_when_every_url_failed_and_the_first_2xx_delivers()
    {
        Sender.Respond = r => r.Attempt < 3 ? Answer.Status(503) : r.Url == Failover ? Answer.Status(200) : Answer.Status(302);
        var webhook = Webhook(urls: [Primary, Failover]);
        await Outbox.PublishAsync(webhook);
        await StartDispatcherAsync();

        while (await RunAndAdvanceToNextAsync(webhook.EventId) is not null)
        {
        }

        Assert.Equal(
            [(1, Primary), (1, Failover), (2, Primary), (2, Failover), (3, Primary), (3, Failover)],
            Sender.Requests.Select(r => (r.Attempt, r.Url)));
        var delivery = (await Outbox.GetAsync(webhook.EventId))!;
        Assert.Equal((DeliveryStatus.Delivered, 3), (delivery.Status, delivery.AttemptCount));
        Assert.Equal("http_status", delivery.Attempts[1].Errors.Single().Code);
        Assert.Equal(302, delivery.Attempts[1].Http.Response!.Status);
    }

    [Theory]
    [InlineData(30, 60)] // asks for less than planned: the plan (1 min) wins
    [InlineData(90, 90)] // between the plan and twice it: honoured
    [InlineData(600, 120)] // more than twice the plan: clamped to 2 min
    public async Task Retry_After_is_honoured_between_the_planned_delay_and_twice_it(int retryAfterSeconds, int expectedSeconds)
    {
        Sender.Respond = r => r.Url == Primary ? Answer.Status(429, TimeSpan.FromSeconds(retryAfterSeconds)) : Answer.Status(503, TimeSpan.FromSeconds(1));
        var webhook = Webhook(urls: [Primary, Failover]);
        await Outbox.PublishAsync(webhook);
        await StartDispatcherAsync();

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), await RunAndAdvanceToNextAsync(webhook.EventId));
    }

    [Fact]
    public async Task Publishing_is_idempotent_on_the_event_id()
    {
        var webhook = Webhook();

        Assert.True((await Outbox.PublishAsync(webhook)).Created);
        Assert.False((await Outbox.PublishAsync(webhook with { DataJson = "{\"id\":\"other\"}" })).Created);
        await StartDispatcherAsync();
        await RunDueAsync();
        await Outbox.PublishAsync(webhook);
        await RunDueAsync();

        Assert.Single(Sender.Requests);
        Assert.Equal(webhook.DataJson, (await Outbox.GetAsync(webhook.EventId))!.Webhook.GetRawText());
    }

    [Fact]
    public async Task A_batch_publish_stores_each_event_once_and_says_which_were_new()
    {
        var batch = Enumerable.Range(0, 200).Select(_ => Webhook()).ToList();
        await Outbox.PublishAsync(batch.Take(50).ToList());

        var results = await Outbox.PublishAsync([.. batch, batch[0]]);

        Assert.Equal(201, results.Count);
        Assert.Equal(150, results.Count(r => r.Created));
        Assert.All(results.Take(50), r => Assert.False(r.Created));
        await StartDispatcherAsync();
        await RunDueAsync();
        Assert.Equal(200, Sender.Requests.Count);
        Assert.Equal(200, Sender.Requests.Select(r => r.EventId).Distinct().Count());
        Assert.Equal(0, await Outbox.CountPendingAsync());
    }

    [Fact]
    public async Task Every_request_carries_the_stored_data_and_is_signed_afresh_with_ed25519()
    {
        Sender.Respond = r => r.Attempt == 1 ? Answer.Status(500) : Answer.Status(200);
        var webhook = Webhook();
        await Outbox.PublishAsync(webhook);
        await StartDispatcherAsync();
        await RunAndAdvanceToNextAsync(webhook.EventId);
        await RunDueAsync();

        var verifier = new Ed25519WebhookVerifier([_key.PublicKey], Time, TimeSpan.FromHours(1));
        Assert.Equal(2, Sender.Requests.Count);
        foreach (var request in Sender.Requests)
        {
            Assert.Equal(EnvelopeWriter.Write(Encoding.UTF8.GetBytes(webhook.DataJson), request.Attempt, Primary), request.Body);
            Assert.True(verifier.Verify(request.Body, new WebhookHeaders(request.Headers)).IsValid);
            // Content-Type and User-Agent are the HTTP sender's to write, once (see WireHeadersTests): the runner passes the signature.
            Assert.Null(request.Header("Content-Type"));
            Assert.Null(request.Header("User-Agent"));
            Assert.Equal(request.At.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), request.Header("telnyx-timestamp"));
        }

        Assert.NotEqual(Sender.Requests[0].Header("telnyx-timestamp"), Sender.Requests[1].Header("telnyx-timestamp"));
    }

    [Fact]
    public async Task Opt_in_schemes_sign_with_the_named_key_and_an_unknown_key_fails_the_request()
    {
        var secret = StandardWebhooksKey.GenerateSecret();
        Keys.Add("seed-secret", new SeedHmacWebhookSigner("s3cret")).Add("whsec", new StandardWebhooksSigner([secret]));
        var webhook = Webhook() with
        {
            Targets =
            [
                new WebhookTarget(new Uri("https://missing.example/"), SignatureScheme.SeedHmac, "no-such-key"),
                new WebhookTarget(new Uri(Primary), SignatureScheme.SeedHmac, "seed-secret"),
                new WebhookTarget(new Uri(Failover), SignatureScheme.StandardWebhooksV1, "whsec"),
            ],
        };
        Sender.Respond = _ => Answer.Status(500);
        await Outbox.PublishAsync(webhook);

        await StartDispatcherAsync();
        await RunDueAsync();

        Assert.Equal([Primary, Failover], Sender.Requests.Select(r => r.Url));
        var seed = new SeedHmacWebhookVerifier(["s3cret"], Time);
        Assert.True(seed.Verify(Sender.Requests[0].Body, new WebhookHeaders(Sender.Requests[0].Headers)).IsValid);
        var standard = new StandardWebhooksVerifier([secret], Time);
        Assert.True(standard.Verify(Sender.Requests[1].Body, new WebhookHeaders(Sender.Requests[1].Headers)).IsValid);
        var missing = (await Outbox.GetAsync(webhook.EventId))!.Attempts[^1];
        Assert.Equal(("other", "https://missing.example/"), (missing.Errors.Single().Code, missing.Http.Request.Url));
        Assert.Contains("no-such-key", missing.Errors.Single().Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_attempt_log_keeps_request_and_response_with_the_body_cut_at_10_kB()
    {
        var huge = new string('x', 50_000);
        Sender.Respond = r => r.Url == Primary ? Answer.Failure(SendErrorKind.Reset) : Answer.Status(500, body: huge);
        var webhook = Webhook(urls: [Primary, Failover]);
        await Outbox.PublishAsync(webhook);

        await StartDispatcherAsync();
        await RunDueAsync();

        var delivery = (await Outbox.GetAsync(webhook.EventId))!;
        var (http500, reset) = (delivery.Attempts[0], delivery.Attempts[1]);
        Assert.Equal(10 * 1024, http500.Http.Response!.Body!.Length);
        Assert.Equal(["X-Test", "yes"], http500.Http.Response.Headers[1]);
        Assert.Contains(http500.Http.Request.Headers, h => h[0] == "telnyx-signature-ed25519");
        Assert.Equal((Time.GetUtcNow(), Time.GetUtcNow()), (http500.StartedAt, http500.FinishedAt));
        Assert.Null(reset.Http.Response);
        Assert.Equal(("reset", "scripted Reset"), (reset.Errors.Single().Code, reset.Errors.Single().Detail));
    }

    [Fact]
    public async Task Deliveries_are_queried_by_status_event_type_time_and_text()
    {
        Sender.Respond = r => r.Url == Failover ? Answer.Status(410, body: "endpoint gone") : Answer.Status(200);
        var first = Webhook(type: EventTypes.MessageSent);
        await Outbox.PublishAsync(first);
        Time.Advance(TimeSpan.FromMinutes(10));
        var second = Webhook(type: EventTypes.CallHangup, urls: [Failover]);
        var third = Webhook(type: EventTypes.MessageSent, urls: [Failover]);
        await Outbox.PublishAsync([second, third]);
        await StartDispatcherAsync();
        await RunDueAsync();

        async Task<string[]> Ids(DeliveryQuery query) => [.. (await Outbox.QueryAsync(query)).Deliveries.Select(d => d.Id)];

        Assert.Equal([third.EventId, second.EventId, first.EventId], await Ids(new DeliveryQuery()));
        Assert.Equal([first.EventId], await Ids(new DeliveryQuery { Status = DeliveryStatus.Delivered }));
        Assert.Equal([third.EventId, second.EventId], await Ids(new DeliveryQuery { Status = DeliveryStatus.Pending }));
        Assert.Equal([third.EventId, first.EventId], await Ids(new DeliveryQuery { EventType = EventTypes.MessageSent }));
        Assert.Equal([first.EventId], await Ids(new DeliveryQuery { StartedTo = Time.GetUtcNow().AddMinutes(-1) }));
        Assert.Equal([second.EventId], await Ids(new DeliveryQuery { WebhookContains = "hangup_cause" }));
        Assert.Equal([third.EventId, second.EventId], await Ids(new DeliveryQuery { AttemptsContain = "endpoint gone" }));
        var page = await Outbox.QueryAsync(new DeliveryQuery { PageSize = 1, PageNumber = 3 });
        Assert.Equal((3L, 3, first.EventId), (page.TotalResults, page.TotalPages, page.Deliveries.Single().Id));
        Assert.Equal(EventTypes.MessageSent, page.Deliveries[0].EventType);
        Assert.Equal(first.EventId, page.Deliveries[0].Webhook.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Redelivering_one_delivery_makes_one_more_attempt_now()
    {
        Outbox = new WebhookOutbox(Store, new DeliveryOptions { Schedule = DeliverySchedule.Parse("0s,1s") }, Time);
        Sender.Respond = _ => Answer.Status(500);
        var webhook = Webhook();
        await Outbox.PublishAsync(webhook);
        await StartDispatcherAsync();
        while (await RunAndAdvanceToNextAsync(webhook.EventId) is not null)
        {
        }

        Assert.Equal(DeliveryStatus.Failed, (await Outbox.GetAsync(webhook.EventId))!.Status);
        Sender.Respond = _ => Answer.Status(200);
        Time.Advance(TimeSpan.FromHours(3));

        Assert.True(await Outbox.RedeliverAsync(webhook.EventId));
        Assert.False(await Outbox.RedeliverAsync("no-such-event"));
        await RunDueAsync();

        var delivery = (await Outbox.GetAsync(webhook.EventId))!;
        Assert.Equal((DeliveryStatus.Delivered, 3), (delivery.Status, delivery.AttemptCount));
        Assert.Equal((3, Time.GetUtcNow()), (Sender.Requests[^1].Attempt, Sender.Requests[^1].At));
    }

    [Fact]
    public async Task Redelivering_every_failure_since_a_time_takes_only_those()
    {
        Outbox = new WebhookOutbox(Store, new DeliveryOptions { Schedule = DeliverySchedule.Parse("0s") }, Time);
        Sender.Respond = r => r.Url == Failover ? Answer.Status(200) : Answer.Status(500);
        var early = Webhook();
        await Outbox.PublishAsync(early);
        await StartDispatcherAsync();
        await RunDueAsync();
        Time.Advance(TimeSpan.FromHours(1));
        var since = Time.GetUtcNow();
        var late = Enumerable.Range(0, 3).Select(_ => Webhook()).ToList();
        var delivered = Webhook(urls: [Failover]);
        await Outbox.PublishAsync([.. late, delivered]);
        await RunDueAsync();
        var sentBefore = Sender.Requests.Count;

        Assert.Equal(3, await Outbox.RedeliverFailedSinceAsync(since));
        Sender.Respond = _ => Answer.Status(200);
        await RunDueAsync();

        Assert.Equal(late.Select(w => w.EventId).Order(), Sender.Requests.Skip(sentBefore).Select(r => r.EventId).Order());
        Assert.Equal(DeliveryStatus.Failed, (await Outbox.GetAsync(early.EventId))!.Status);
        Assert.Equal(4, (await Outbox.QueryAsync(new DeliveryQuery { Status = DeliveryStatus.Delivered, StartedFrom = since })).TotalResults);
    }

    [Fact]
    public async Task A_stopped_dispatchers_deliveries_are_sent_again_at_once_with_the_next_attempt_and_the_interrupted_one_logged()
    {
        var webhook = Webhook();
        await Outbox.PublishAsync(webhook);
        var held = new TaskCompletionSource();
        var arrived = new TaskCompletionSource();
        var stuck = new ScriptedSender(Time)
        {
            Respond = _ => Answer.Status(200, body: "late"),
            BeforeAnswer = _ => { arrived.TrySetResult(); return held.Task; },
        };
        var stale = await StartDispatcherAsync(stuck);
        await arrived.Task;
        Time.Advance(TimeSpan.FromSeconds(2));

        // The dispatcher's process dies mid-request; the next worker (the restarted process, or another) goes on.
        var next = new WebhookOutbox(await WorkerStoppedAsync(), new DeliveryOptions(), Time);
        await StartDispatcherAsync(outbox: next);
        await RunDueAsync();

        Assert.Equal(2, Assert.Single(Sender.Requests).Attempt);
        var delivery = (await next.GetAsync(webhook.EventId))!;
        Assert.Equal((DeliveryStatus.Delivered, 2), (delivery.Status, delivery.AttemptCount));
        Assert.Equal([(2, "delivered"), (1, "failed")], delivery.Attempts.Select(a => (a.Attempt, a.Status)));
        var interrupted = delivery.Attempts[1];
        Assert.Equal(("interrupted", Primary, (DeliveryHttpResponse?)null), (Assert.Single(interrupted.Errors).Code, interrupted.Http.Request.Url, interrupted.Http.Response));

        // The stopped dispatcher's late answer is not recorded over the new one: its store is closed (SQLite's process is
        // gone), or refuses it (PostgreSQL). It stops once its tries to record it, paused on the clock, are over.
        held.SetResult();
        var stopping = stale.StopAsync();
        await Eventually.TrueAsync(() =>
        {
            Time.Advance(TimeSpan.FromSeconds(1));
            return stopping.IsCompleted;
        }, "the stopped dispatcher to give up its late answer");
        delivery = (await next.GetAsync(webhook.EventId))!;
        Assert.Equal((DeliveryStatus.Delivered, 2, 2), (delivery.Status, delivery.AttemptCount, delivery.Attempts.Count));
    }

    [Fact]
    public async Task Deliveries_with_one_ordering_key_go_one_at_a_time_in_publish_order_and_a_failed_one_lets_the_next_go()
    {
        Outbox = new WebhookOutbox(Store, new DeliveryOptions { Schedule = DeliverySchedule.Parse("0s,1m") }, Time);
        var sent = Webhook() with { OrderingKey = "message-1" };
        var delivered = Webhook(EventTypes.MessageDelivered) with { OrderingKey = "message-1" };
        var finalized = Webhook(EventTypes.MessageFinalized) with { OrderingKey = "message-1" };
        var other = Webhook() with { OrderingKey = "message-2" };
        Sender.Respond = r => r.EventId == sent.EventId ? Answer.Status(500) : Answer.Status(200);
        await Outbox.PublishAsync([sent, delivered, finalized, other]);
        await StartDispatcherAsync();

        await RunDueAsync();
        Assert.Equal(new[] { sent.EventId, other.EventId }.Order(), Sender.Requests.Select(r => r.EventId).Order());
        var waiting = (await Outbox.GetAsync(delivered.EventId))!;
        Assert.Equal((DeliveryStatus.Pending, 0, "message-1"), (waiting.Status, waiting.AttemptCount, waiting.OrderingKey));

        // The first fails for good at its last attempt; the two behind it then go, one after the other, in order.
        Time.Advance(TimeSpan.FromMinutes(1));
        await RunDueAsync();
        Assert.Equal([sent.EventId, delivered.EventId, finalized.EventId], Sender.Requests.Skip(2).Select(r => r.EventId));
        Assert.Equal(DeliveryStatus.Failed, (await Outbox.GetAsync(sent.EventId))!.Status);
        Assert.Equal(DeliveryStatus.Delivered, (await Outbox.GetAsync(finalized.EventId))!.Status);
    }

    [Fact]
    public async Task Retention_prunes_finished_deliveries_but_not_pending_ones()
    {
        var done = Webhook();
        var waiting = Webhook(urls: [Failover]);
        Sender.Respond = r => r.Url == Primary ? Answer.Status(200) : Answer.Status(500);
        await Outbox.PublishAsync([done, waiting]);
        var dispatcher = await StartDispatcherAsync();
        await RunDueAsync();
        // Only the clock moves from here: the waiting delivery stays pending.
        await dispatcher.StopAsync();
        var pruner = new WorkPruner(Store, Outbox.Options.QueueName, new RetentionOptions { KeepFinishedFor = TimeSpan.FromDays(30) }, Time);

        Time.Advance(TimeSpan.FromDays(29));
        Assert.Equal(0, await pruner.PruneOnceAsync());
        Time.Advance(TimeSpan.FromDays(2));
        Assert.Equal(1, await pruner.PruneOnceAsync());

        Assert.Null(await Outbox.GetAsync(done.EventId));
        Assert.NotNull(await Outbox.GetAsync(waiting.EventId));
    }

    [Fact]
    public async Task The_lag_between_due_time_and_start_is_measured()
    {
        var lags = new List<double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Switchboard.Delivery" && instrument.Name == "switchboard.delivery.lag")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, value, _, _) => { lock (lags) { lags.Add(value); } });
        listener.Start();
        await Outbox.PublishAsync(Webhook());
        Time.Advance(TimeSpan.FromSeconds(3));

        await StartDispatcherAsync();
        await RunDueAsync();

        Assert.Contains(3.0, lags);
    }

    [Fact]
    public async Task Bad_webhooks_are_refused_with_a_clear_error()
    {
        var good = Webhook();
        var bad = new Dictionary<string, OutboundWebhook>
        {
            ["not JSON"] = good with { DataJson = "not json" },
            ["array"] = good with { DataJson = "[1]" },
            ["no id"] = good with { EventId = "" },
            ["no targets"] = good with { Targets = [] },
            ["ftp"] = good with { Targets = [new WebhookTarget(new Uri("ftp://example.com/"))] },
            ["relative"] = good with { Targets = [new WebhookTarget(new Uri("/hooks", UriKind.Relative))] },
            ["hmac without key"] = good with { Targets = [new WebhookTarget(new Uri(Primary), SignatureScheme.SeedHmac)] },
        };

        foreach (var (why, webhook) in bad)
        {
            var error = await Assert.ThrowsAsync<ArgumentException>(() => Outbox.PublishAsync(webhook));
            Assert.False(string.IsNullOrEmpty(error.Message), why);
        }

        Assert.Equal(0, await Outbox.CountPendingAsync());
        Assert.Throws<FormatException>(() => DeliverySchedule.Parse("0s,1x"));
        Assert.Throws<FormatException>(() => DeliverySchedule.Parse(""));
        Assert.Equal("0s,1m,5m,15m,1h", DeliverySchedule.Default.ToString());
    }
}
