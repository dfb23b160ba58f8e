using System.Text.Json;
using Npgsql;
using Switchboard.Delivery.Http;
using Switchboard.Delivery.Outbox;
using Switchboard.DurableWork;
using Switchboard.Events;
using Switchboard.Signing;
using Switchboard.Testing;

namespace Switchboard.Delivery.Tests.Outbox;

/// <summary>
/// The hosted dispatcher loop on the real clock. The tests wait for the outcome (bounded, generously) and
/// assert what happened, never how long it took.
/// </summary>
[Collection(PostgresServer.Collection)]
public sealed partial class DispatcherLoopTests(PostgresServer server) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    private readonly Ed25519PrivateKey _key = Ed25519PrivateKey.Generate();
    private readonly string _folder = Directory.CreateTempSubdirectory("switchboard-loop-").FullName;

    public void Dispose()
    {
        _key.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task The_hosted_loop_delivers_over_real_http_with_failover_and_verifiable_signatures()
    {
        await using var sink = await OkOrFailEndpoint.StartAsync();
        // Not a timeout test: a generous timeout, so that a busy machine cannot turn a slow success into a timed-out
        // attempt (the default 2 s is real time) and upset the exact attempt lists below.
        using var sender = new HttpWebhookSender(new HttpWebhookSenderOptions { AllowPrivateNetworks = true, Timeout = TimeSpan.FromSeconds(30) });
        await using var store = await WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = Path.Combine(_folder, "outbox.db") });
        var outbox = new WebhookOutbox(store, new DeliveryOptions { Schedule = DeliverySchedule.Parse("0s,50ms") });
        using var dispatcher = new DeliveryDispatcher(outbox, sender, new WebhookSigningKeys(_key));
        var closedPort = new Uri("http://127.0.0.1:1/");
        await using var running = RunningWorker.Start(dispatcher.NewWorker());

        var webhooks = Enumerable.Range(0, 50).Select(i => OutboundWebhook.From(
            SampleEvents.Create(EventTypes.MessageFinalized, TimeProvider.System),
            i % 2 == 0 ? [new WebhookTarget(new Uri(sink.Url("/ok")))] : [new WebhookTarget(closedPort), new WebhookTarget(new Uri(sink.Url("/fail"))), new WebhookTarget(new Uri(sink.Url("/ok/failover")))])).ToList();
        foreach (var webhook in webhooks)
        {
            await outbox.PublishAsync(webhook);
        }

        var doomed = OutboundWebhook.From(SampleEvents.Create(EventTypes.CallHangup, TimeProvider.System), [new WebhookTarget(new Uri(sink.Url("/fail")))]);
        await outbox.PublishAsync(doomed);
        await Eventually.TrueAsync(async () => await outbox.CountPendingAsync() == 0, "every delivery to end", Patience);
        await running.StopAsync();

        Assert.Equal(50, (await outbox.QueryAsync(new DeliveryQuery { Status = DeliveryStatus.Delivered, PageSize = 100 })).TotalResults);
        var failed = (await outbox.GetAsync(doomed.EventId))!;
        Assert.Equal((DeliveryStatus.Failed, 2, 500), (failed.Status, failed.AttemptCount, failed.Attempts[0].Http.Response!.Status));
        var verifier = new Ed25519WebhookVerifier([_key.PublicKey]);
        var delivered = sink.Received.Where(r => r.Path.StartsWith("/ok", StringComparison.Ordinal)).ToList();
        Assert.Equal(50, delivered.Count);
        Assert.All(sink.Received, r => Assert.True(verifier.Verify(r.Body, new WebhookHeaders(r.Headers)).IsValid));
        Assert.All(sink.Received, r => Assert.Equal("application/json", new WebhookHeaders(r.Headers).Get("Content-Type")));
        var viaFailover = (await outbox.GetAsync(webhooks[1].EventId))!;
        Assert.Equal(["delivered", "failed", "failed"], viaFailover.Attempts.Select(a => a.Status));
        Assert.Equal("connection_refused", viaFailover.Attempts[2].Errors.Single().Code);
        using var body = JsonDocument.Parse(delivered.Single(r => r.Path == "/ok/failover" && r.Body.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(webhooks[1].EventId)) >= 0).Body);
        Assert.Equal(sink.Url("/ok/failover"), body.RootElement.GetProperty("meta").GetProperty("delivered_to").GetString());
    }

    [Fact]
    public async Task Two_dispatchers_on_one_postgres_database_send_each_events_first_attempt_once()
    {
        const int count = 10_000;
        var database = await server.CreateDatabaseAsync();
        // Two dispatchers as two processes would be: each with its own data source (pool) and store.
        await using var second = NpgsqlDataSource.Create(database.ConnectionString);
        var outboxes = new[]
        {
            new WebhookOutbox(await PostgresWorkStore.OpenAsync(database), new DeliveryOptions { ClaimBatchSize = 100 }),
            new WebhookOutbox(await PostgresWorkStore.OpenAsync(second), new DeliveryOptions { ClaimBatchSize = 100 }),
        };
        var sender = new ScriptedSender(TimeProvider.System);
        var keys = new WebhookSigningKeys(_key);
        var dispatchers = outboxes.Select(o => new DeliveryDispatcher(o, sender, keys)).ToList();
        var target = new[] { new WebhookTarget(new Uri("https://receiver.example/hooks")) };
        var webhooks = Enumerable.Range(0, count).Select(_ => OutboundWebhook.From(SampleEvents.Create(EventTypes.MessageSent, TimeProvider.System), target)).ToList();

        var running = dispatchers.Select(d => RunningWorker.Start(d.NewWorker())).ToList();
        foreach (var chunk in webhooks.Chunk(1_000))
        {
            await outboxes[0].PublishAsync(chunk);
        }

        await Eventually.TrueAsync(async () => await outboxes[1].CountPendingAsync() == 0, "every delivery to end", Patience);
        await Task.WhenAll(running.Select(r => r.StopAsync()));
        dispatchers.ForEach(d => d.Dispose());

        var firstAttempts = sender.Requests.Where(r => r.Attempt == 1).GroupBy(r => r.EventId).ToList();
        Assert.Equal(count, firstAttempts.Count);
        Assert.All(firstAttempts, g => Assert.Single(g));
        Assert.Equal(count, sender.Requests.Count);
        Assert.Equal(count, (await outboxes[1].QueryAsync(new DeliveryQuery { Status = DeliveryStatus.Delivered })).TotalResults);
    }
}
