using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Npgsql;
using Switchboard.DurableWork;
using Switchboard.Events;
using Switchboard.Receiver.Inbox;
using Switchboard.Receiver.Tests.Support;
using Switchboard.Testing;

namespace Switchboard.Receiver.Tests;

/// <summary>Idempotency and handlers on PostgreSQL (several instances on one database) and with Redis in front.</summary>
[Collection(PostgresServer.Collection)]
public sealed class PostgresBackendTests(PostgresServer postgres) : IDisposable
{
    private readonly TestSender _sender = new();
    private readonly HandlerSink _sink = new();

    public void Dispose() => _sender.Dispose();

    private Task<ReceiverApp> StartAsync(string connectionString, Action<TelnyxWebhookOptions>? more = null) =>
        ReceiverApp.StartAsync(o =>
        {
            o.PublicKeys.Add(_sender.PublicKey);
            o.HandlerRetryDelay = TimeSpan.FromMilliseconds(10);
            more?.Invoke(o);
        }, h => h.UsePostgreSql(connectionString).OnAny("any", (context, _) => { _sink.Ran("any", context); return Task.CompletedTask; }));

    private async Task<string> NewDatabaseAsync()
    {
        var dataSource = await postgres.CreateDatabaseAsync();
        return dataSource.ConnectionString;
    }

    [Fact]
    public async Task The_same_events_posted_to_two_instances_at_once_are_stored_once_and_handled_once()
    {
        var database = await NewDatabaseAsync();
        await using var a = await StartAsync(database);
        await using var b = await StartAsync(database);
        var bodies = Enumerable.Range(0, 40).Select(i => TestSender.Body(id: $"pg-{i}")).ToList();

        var answers = await Task.WhenAll(bodies.SelectMany(body =>
        {
            var headers = _sender.Sign(body);
            return new[] { a, b }.Select(async app =>
            {
                using var response = await app.PostAsync(body, headers);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                return (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["status"]!;
            });
        }));

        Assert.Equal(40, answers.Count(s => s == "accepted"));
        Assert.Equal(40, answers.Count(s => s == "duplicate"));
        foreach (var i in Enumerable.Range(0, 40))
        {
            await Eventually.GetAsync(() => a.Admin.GetAsync($"pg-{i}"), e => e?.State == InboxEntryState.Handled, "handled");
        }

        Assert.All(Enumerable.Range(0, 40), i => Assert.Equal(1, _sink.Runs($"pg-{i}", "any")));
        Assert.Equal(40, _sink.Total);
    }

    [Fact]
    public async Task A_completed_handler_is_not_rerun_by_another_instance()
    {
        var database = await NewDatabaseAsync();
        var failing = true;
        await using var a = await ReceiverApp.StartAsync(o =>
        {
            o.PublicKeys.Add(_sender.PublicKey);
            o.MaxHandlerAttempts = 1;
        }, h => h.UsePostgreSql(database)
            .OnAny("done", (context, _) => { _sink.Ran("done", context); return Task.CompletedTask; })
            .OnAny("failing", (context, _) => { _sink.Ran("failing", context); return Volatile.Read(ref failing) ? throw new InvalidOperationException("x") : Task.CompletedTask; }));
        var body = TestSender.Body(id: "pg-retry");
        using (await a.PostAsync(body, _sender.Sign(body)))
        {
        }

        await Eventually.GetAsync(() => a.Admin.GetAsync("pg-retry"), e => e?.State == InboxEntryState.DeadLettered, "dead-lettered");
        Volatile.Write(ref failing, false);
        Assert.Equal(1, await a.Admin.ReplayDeadLetteredAsync());
        await Eventually.GetAsync(() => a.Admin.GetAsync("pg-retry"), e => e?.State == InboxEntryState.Handled, "handled");

        Assert.Equal(1, _sink.Runs("pg-retry", "done"));
        Assert.Equal(2, _sink.Runs("pg-retry", "failing"));
    }

    [Fact]
    public async Task A_database_that_refuses_writes_gets_503_and_an_unhealthy_check_until_it_takes_them_again()
    {
        var dataSource = await postgres.CreateDatabaseAsync();
        var database = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).Database!;
        await using var app = await StartAsync(dataSource.ConnectionString);
        var health = app.App.Services.GetRequiredService<HealthCheckService>();
        var before = TestSender.Body(id: "pg-before");
        using (var stored = await app.PostAsync(before, _sender.Sign(before)))
        {
            Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
        }

        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Status);

        // The database turns read-only, as a primary that failed over to a standby does.
        await SetReadOnlyAsync(database, true);
        var during = TestSender.Body(id: "pg-during");
        using (var refused = await app.PostAsync(during, _sender.Sign(during)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.Equal("store_unavailable", (string?)JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["reason"]);
            Assert.NotNull(refused.Headers.RetryAfter);
        }

        var unhealthy = await health.CheckHealthAsync();
        Assert.Equal(HealthStatus.Unhealthy, unhealthy.Status);
        Assert.Contains("503", unhealthy.Entries["telnyx-webhooks"].Description, StringComparison.Ordinal);
        Assert.Contains(app.Logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("could not write", StringComparison.Ordinal));

        // It takes writes again; the sender sends the refused webhook again (a pooled connection from the read-only
        // spell may fail one more request) and it is stored and handled once, like the one before.
        await SetReadOnlyAsync(database, false);
        await Eventually.GetAsync(async () =>
        {
            using var again = await app.PostAsync(during, _sender.Sign(during));
            return again.StatusCode;
        }, status => status == HttpStatusCode.OK, "the refused webhook to be stored");
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Status);
        foreach (var id in (string[])["pg-before", "pg-during"])
        {
            await Eventually.GetAsync(() => app.Admin.GetAsync(id), e => e?.State == InboxEntryState.Handled, $"{id} handled");
            Assert.Equal(1, _sink.Runs(id, "any"));
        }
    }

    /// <summary>Sets the database's default to read-only transactions (or back) and ends its sessions, so every new one has it.</summary>
    private async Task SetReadOnlyAsync(string database, bool readOnly)
    {
        await using var admin = NpgsqlDataSource.Create(postgres.ConnectionString("postgres", pooling: false));
        await using (var alter = admin.CreateCommand($"ALTER DATABASE {database} SET default_transaction_read_only = {(readOnly ? "on" : "off")}"))
        {
            await alter.ExecuteNonQueryAsync();
        }

        await using var terminate = admin.CreateCommand("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()");
        terminate.Parameters.Add(new NpgsqlParameter { Value = database });
        await terminate.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task Ordering_rows_of_the_release_before_documents_carry_over_on_postgres()
    {
        var dataSource = await postgres.CreateDatabaseAsync();
        await using (var before = await PostgresWorkStore.OpenAsync(dataSource))
        {
            await OrderingTests.MigrateAsBeforeDocumentsAsync(before);
        }

        await using (var insert = dataSource.CreateCommand(OrderingTests.LegacyRows))
        {
            await insert.ExecuteNonQueryAsync();
        }

        await using var app = await StartAsync(dataSource.ConnectionString);
        await OrderingTests.AssertLegacyRowsAdoptedAsync(app.App.Services);
    }

    [Fact]
    public async Task Concurrent_advances_on_two_instances_agree_on_the_newest_event()
    {
        var database = await NewDatabaseAsync();
        await using var a = await StartAsync(database);
        await using var b = await StartAsync(database);
        var t0 = new DateTimeOffset(2025, 10, 24, 18, 10, 0, TimeSpan.Zero);
        var events = Enumerable.Range(0, 40).Select(i => WebhookEvent.Create(
            EventTypes.MessageSent, $"adv-{i:D2}", t0.AddSeconds(i % 20), new MessagePayload { Id = "m-race" })).ToList();

        await Task.WhenAll(events.Select((e, i) => (i % 2 == 0 ? a : b).App.Services.GetRequiredService<IEventOrdering>().TryAdvanceAsync(e)));

        // The newest (latest time, then the greater id) is recorded: it says yes again, every other says no, on both.
        var newest = events.MaxBy(e => (e.OccurredAt, e.Id))!;
        foreach (var app in new[] { a, b })
        {
            var ordering = app.App.Services.GetRequiredService<IEventOrdering>();
            Assert.True(await ordering.TryAdvanceAsync(newest));
            foreach (var older in events.Where(e => e != newest))
            {
                Assert.False(await ordering.TryAdvanceAsync(older), older.Id);
            }
        }
    }

    [Fact]
    public async Task Ordering_works_on_postgres()
    {
        await using var app = await StartAsync(await NewDatabaseAsync());
        await OrderingTests.AssertOrderingAsync(app.App.Services.GetRequiredService<IEventOrdering>());
    }
}

public sealed class RedisBackendTests : IClassFixture<RedisServer>, IDisposable
{
    private readonly RedisServer _redis;
    private readonly TestSender _sender = new();
    private readonly HandlerSink _sink = new();

    public RedisBackendTests(RedisServer redis) => _redis = redis;

    public void Dispose() => _sender.Dispose();

    private Task<ReceiverApp> StartAsync(string redis, string? data = null) => ReceiverApp.StartAsync(o =>
    {
        o.PublicKeys.Add(_sender.PublicKey);
        o.DataDirectory = data ?? TempFolder.Create();
    }, h => h.UseRedis(redis).OnAny("any", (context, _) => { _sink.Ran("any", context); return Task.CompletedTask; }));

    private static async Task<string> PostAsync(ReceiverApp app, byte[] body, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        using var response = await app.PostAsync(body, headers);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["status"]!;
    }

    [Fact]
    public async Task Requests_succeed_while_redis_hangs()
    {
        await using var app = await StartAsync(_redis.Configuration);
        var first = TestSender.Body(id: "redis-hang-0");
        Assert.Equal("accepted", await PostAsync(app, first, _sender.Sign(first)));

        // Connected, but no answers: each Redis command times out (after 1 s) instead of failing at once.
        await _redis.PauseAsync();
        try
        {
            var body = TestSender.Body(id: "redis-hang-1");
            Assert.Equal("accepted", await PostAsync(app, body, _sender.Sign(body)));
            Assert.Equal("duplicate", await PostAsync(app, body, _sender.Sign(body)));
        }
        finally
        {
            await _redis.ResumeAsync();
        }

        await Eventually.GetAsync(() => app.Admin.GetAsync("redis-hang-1"), e => e?.State == InboxEntryState.Handled, "handled");
        Assert.Equal(1, _sink.Runs("redis-hang-1", "any"));
    }

    [Fact]
    public async Task Duplicates_are_answered_from_redis_and_handled_once()
    {
        await using var app = await StartAsync(_redis.Configuration);
        var body = TestSender.Body(id: "redis-1");
        var headers = _sender.Sign(body);

        Assert.Equal("accepted", await PostAsync(app, body, headers));
        await using (var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(_redis.Configuration))
        {
            Assert.True(await redis.GetDatabase().KeyExistsAsync("switchboard:webhook:redis-1"));
        }

        Assert.Equal("duplicate", await PostAsync(app, body, headers));
        Assert.Equal("duplicate", await PostAsync(app, body, headers));
        await Eventually.GetAsync(() => app.Admin.GetAsync("redis-1"), e => e?.State == InboxEntryState.Handled, "handled");
        Assert.Equal(1, _sink.Runs("redis-1", "any"));
    }

    [Fact]
    public async Task A_redis_miss_falls_back_to_the_database_which_stays_the_truth()
    {
        var data = TempFolder.Create();
        var body = TestSender.Body(id: "redis-miss");
        var headers = _sender.Sign(body);
        await using (var withoutRedis = await StartAsync(RedisDown(), data))
        {
            Assert.Equal("accepted", await PostAsync(withoutRedis, body, headers));
        }

        // Redis has never heard of this id; the database has.
        await using var app = await StartAsync(_redis.Configuration, data);
        Assert.Equal("duplicate", await PostAsync(app, body, headers));
        await Eventually.GetAsync(() => app.Admin.GetAsync("redis-miss"), e => e?.State == InboxEntryState.Handled, "handled");
        Assert.Equal(1, _sink.Runs("redis-miss", "any"));
    }

    [Fact]
    public async Task Requests_succeed_while_redis_is_down()
    {
        await using var app = await StartAsync(RedisDown());
        var body = TestSender.Body(id: "redis-down");
        var headers = _sender.Sign(body);

        Assert.Equal("accepted", await PostAsync(app, body, headers));
        Assert.Equal("duplicate", await PostAsync(app, body, headers));
        await Eventually.GetAsync(() => app.Admin.GetAsync("redis-down"), e => e?.State == InboxEntryState.Handled, "handled");
        Assert.Equal(1, _sink.Runs("redis-down", "any"));
    }

    private static string RedisDown() => $"127.0.0.1:{Loopback.FreePort()}";
}
