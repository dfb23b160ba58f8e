using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.Events;
using Switchboard.Receiver.Inbox;
using Switchboard.Receiver.Tests.Support;
using Switchboard.Testing;

namespace Switchboard.Receiver.Tests;

/// <summary>Handlers run in the background: routing, retries with backoff, dead letter, replay, restarts.</summary>
public sealed class HandlerTests : IDisposable
{
    private readonly TestSender _sender = new();
    private readonly HandlerSink _sink = new();
    private readonly string _data = TempFolder.Create();

    public void Dispose() => _sender.Dispose();

    private Task<ReceiverApp> StartAsync(Action<TelnyxWebhooksBuilder> handlers, Action<TelnyxWebhookOptions>? more = null) =>
        ReceiverApp.StartAsync(o =>
        {
            o.PublicKeys.Add(_sender.PublicKey);
            o.DataDirectory = _data;
            o.HandlerRetryDelay = TimeSpan.FromMilliseconds(10);
            more?.Invoke(o);
        }, handlers);

    private async Task PostAsync(ReceiverApp app, byte[] body)
    {
        using var response = await app.PostAsync(body, _sender.Sign(body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static Task<InboxEntry?> WaitForStateAsync(ReceiverApp app, string id, InboxEntryState state) =>
        Eventually.GetAsync(() => app.Admin.GetAsync(id), e => e?.State == state, $"event {id} to be {state}");

    [Fact]
    public async Task Handlers_are_routed_by_type_with_typed_payloads_any_and_unknown()
    {
        string? text = null;
        await using var app = await StartAsync(h => h
            .On<MessagePayload>(EventTypes.MessageReceived, "received", (payload, context, _) =>
            {
                text = payload.Text;
                _sink.Ran("received", context);
                return Task.CompletedTask;
            })
            .On(EventTypes.CallHangup, "hangup", (context, _) => { _sink.Ran("hangup", context); return Task.CompletedTask; })
            .OnAny("any", (context, _) => { _sink.Ran("any", context); return Task.CompletedTask; })
            .OnUnknown("unknown", (context, _) => { _sink.Ran("unknown", context); return Task.CompletedTask; }));

        await PostAsync(app, TestSender.Body(EventTypes.MessageReceived, id: "e-received"));
        await PostAsync(app, TestSender.Body(EventTypes.CallHangup, id: "e-hangup"));
        var unknown = Text.Utf8("{\"data\":{\"event_type\":\"call.conversation.ended\",\"id\":\"e-unknown\",\"occurred_at\":\"2025-10-24T18:10:02.574Z\",\"record_type\":\"event\",\"payload\":{\"call_control_id\":\"c\"}}}");
        await PostAsync(app, unknown);
        foreach (var id in new[] { "e-received", "e-hangup", "e-unknown" })
        {
            await WaitForStateAsync(app, id, InboxEntryState.Handled);
        }

        Assert.Equal(1, _sink.Runs("e-received", "received"));
        Assert.NotNull(text);
        Assert.Equal(0, _sink.Runs("e-received", "unknown"));
        Assert.Equal(1, _sink.Runs("e-hangup", "hangup"));
        Assert.Equal(0, _sink.Runs("e-hangup", "received"));
        Assert.Equal(1, _sink.Runs("e-unknown", "unknown"));
        Assert.All(new[] { "e-received", "e-hangup", "e-unknown" }, id => Assert.Equal(1, _sink.Runs(id, "any")));
        Assert.All(_sink.Contexts, c => Assert.True(c.Verified));
    }

    [Fact]
    public async Task An_event_no_handler_takes_is_handled_with_no_run_and_the_others_still_run()
    {
        await using var app = await StartAsync(h => h
            .On(EventTypes.CallHangup, "hangup", (context, _) => { _sink.Ran("hangup", context); return Task.CompletedTask; }));

        await PostAsync(app, TestSender.Body(EventTypes.MessageReceived, id: "e-untaken"));
        await PostAsync(app, TestSender.Body(EventTypes.CallHangup, id: "e-hangup"));

        var untaken = await WaitForStateAsync(app, "e-untaken", InboxEntryState.Handled);
        Assert.Equal((1, 0), (untaken!.Runs, untaken.HandlerRuns.Count));
        await WaitForStateAsync(app, "e-hangup", InboxEntryState.Handled);
        Assert.Equal((0, 1), (_sink.Runs("e-untaken", "hangup"), _sink.Runs("e-hangup", "hangup")));
    }

    [Fact]
    public async Task An_event_no_handler_takes_is_stored_handled_by_the_request_that_brought_it()
    {
        // No runner in this host (RunHandlers off): what is handled when the 200 comes was stored handled by the ingest's own write.
        await using var app = await ReceiverApp.StartAsync(o =>
            {
                o.PublicKeys.Add(_sender.PublicKey);
                o.DataDirectory = _data;
                o.RunHandlers = false;
            },
            h => h.On(EventTypes.CallHangup, "hangup", (context, _) => { _sink.Ran("hangup", context); return Task.CompletedTask; }));

        await PostAsync(app, TestSender.Body(EventTypes.MessageReceived, id: "e-untaken"));
        await PostAsync(app, TestSender.Body(EventTypes.CallHangup, id: "e-hangup"));

        var untaken = await app.Admin.GetAsync("e-untaken");
        Assert.Equal((InboxEntryState.Handled, 1, 0), (untaken!.State, untaken.Runs, untaken.HandlerRuns.Count));
        Assert.Equal(InboxEntryState.Pending, (await app.Admin.GetAsync("e-hangup"))!.State);
        await PostAsync(app, TestSender.Body(EventTypes.MessageReceived, id: "e-untaken"));
        var again = await app.Admin.GetAsync("e-untaken");
        Assert.Equal((InboxEntryState.Handled, 1), (again!.State, again.Runs));
    }

    [Fact]
    public async Task A_failing_handler_is_retried_with_backoff_and_the_others_do_not_run_again()
    {
        var failuresLeft = 2;
        await using var app = await StartAsync(h => h
            .OnAny("steady", (context, _) => { _sink.Ran("steady", context); return Task.CompletedTask; })
            .OnAny("flaky", (context, _) =>
            {
                _sink.Ran("flaky", context);
                return Interlocked.Decrement(ref failuresLeft) >= 0 ? throw new InvalidOperationException("not yet") : Task.CompletedTask;
            }));

        await PostAsync(app, TestSender.Body(id: "e-flaky"));
        var entry = await WaitForStateAsync(app, "e-flaky", InboxEntryState.Handled);

        Assert.Equal(1, _sink.Runs("e-flaky", "steady"));
        Assert.Equal(3, _sink.Runs("e-flaky", "flaky"));
        Assert.Equal([1, 2, 3], _sink.Contexts.Where(c => c.Handler == "flaky").Select(c => c.Attempt));
        Assert.Equal(3, entry!.Runs);
        Assert.Equal(2, entry.HandlerRuns.Count(r => r.Handler == "flaky" && !r.Completed && r.Error!.Contains("not yet", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task After_the_last_attempt_the_event_is_dead_lettered_with_its_error_and_replay_runs_only_what_did_not_complete()
    {
        var broken = true;
        await using var app = await StartAsync(h => h
            .OnAny("steady", (context, _) => { _sink.Ran("steady", context); return Task.CompletedTask; })
            .OnAny("broken", (context, _) =>
            {
                _sink.Ran("broken", context);
                return Volatile.Read(ref broken) ? throw new InvalidOperationException("database is down") : Task.CompletedTask;
            }),
            o => o.MaxHandlerAttempts = 3);

        await PostAsync(app, TestSender.Body(id: "e-dead-1"));
        await PostAsync(app, TestSender.Body(id: "e-dead-2"));
        var dead = await WaitForStateAsync(app, "e-dead-1", InboxEntryState.DeadLettered);
        await WaitForStateAsync(app, "e-dead-2", InboxEntryState.DeadLettered);

        Assert.Equal(3, _sink.Runs("e-dead-1", "broken"));
        Assert.Contains("database is down", dead!.HandlerRuns.First(r => r.Handler == "broken").Error, StringComparison.Ordinal);
        Assert.Equal(2, (await app.Admin.ListAsync(InboxEntryState.DeadLettered)).Count);

        Volatile.Write(ref broken, false);
        Assert.Equal(2, await app.Admin.ReplayDeadLetteredAsync());
        await WaitForStateAsync(app, "e-dead-1", InboxEntryState.Handled);
        await WaitForStateAsync(app, "e-dead-2", InboxEntryState.Handled);

        Assert.Equal(4, _sink.Runs("e-dead-1", "broken"));
        Assert.Equal(1, _sink.Runs("e-dead-1", "steady"));
        Assert.Equal(1, _sink.Runs("e-dead-2", "steady"));
    }

    [Fact]
    public async Task Replaying_one_event_runs_its_unfinished_handlers_now()
    {
        var broken = true;
        await using var app = await StartAsync(h => h.OnAny("h", (context, _) =>
        {
            _sink.Ran("h", context);
            return Volatile.Read(ref broken) ? throw new InvalidOperationException("boom") : Task.CompletedTask;
        }), o => o.MaxHandlerAttempts = 1);

        await PostAsync(app, TestSender.Body(id: "e-one"));
        await WaitForStateAsync(app, "e-one", InboxEntryState.DeadLettered);
        Volatile.Write(ref broken, false);

        Assert.True(await app.Admin.ReplayAsync("e-one"));
        Assert.False(await app.Admin.ReplayAsync("no-such-event"));
        await WaitForStateAsync(app, "e-one", InboxEntryState.Handled);
        Assert.Equal(2, _sink.Runs("e-one", "h"));
    }

    [Fact]
    public async Task The_admin_api_shows_dead_letters_and_replays_them()
    {
        var broken = true;
        await using var app = await ReceiverApp.StartAsync(
            o =>
            {
                o.PublicKeys.Add(_sender.PublicKey);
                o.DataDirectory = _data;
                o.MaxHandlerAttempts = 1;
            },
            h => h.OnAny("h", (context, _) => { _sink.Ran("h", context); return Volatile.Read(ref broken) ? throw new InvalidOperationException("broken") : Task.CompletedTask; }),
            map: web => web.MapTelnyxWebhooksAdmin());
        await PostAsync(app, TestSender.Body(id: "e-admin"));
        await WaitForStateAsync(app, "e-admin", InboxEntryState.DeadLettered);

        var dead = System.Text.Json.Nodes.JsonNode.Parse(await app.Client.GetStringAsync("/webhooks/telnyx/admin/events?state=DeadLettered"))!.AsArray();
        Assert.Equal("e-admin", (string?)Assert.Single(dead)!["eventId"]);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync("/webhooks/telnyx/admin/events/nope")).StatusCode);
        Volatile.Write(ref broken, false);
        using var replay = await app.Client.PostAsync("/webhooks/telnyx/admin/dead-letter/replay", null);
        Assert.Contains("\"replayed\":1", await replay.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await WaitForStateAsync(app, "e-admin", InboxEntryState.Handled);
        var entry = System.Text.Json.Nodes.JsonNode.Parse(await app.Client.GetStringAsync("/webhooks/telnyx/admin/events/e-admin"))!;
        Assert.Equal(2, entry["handlerRuns"]!.AsArray().Count);
    }

    [Fact]
    public async Task Handler_retries_of_the_same_attempt_are_jittered_within_the_doubling_ceiling()
    {
        await using var app = await StartAsync(h => h.OnAny("any", (_, _) => Task.CompletedTask), o => o.HandlerRetryDelay = TimeSpan.FromSeconds(10));
        var runner = app.App.Services.GetRequiredService<Handlers.HandlerRunner>();

        // Events failing together (their handler's dependency is down) must not all come back at the same instant.
        var delays = Enumerable.Range(0, 20).Select(_ => runner.RetryDelay(3)).ToList();

        Assert.All(delays, d => Assert.InRange(d, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(40)));
        Assert.True(delays.Distinct().Count() > 15, $"20 retries of attempt 3 got only {delays.Distinct().Count()} different delays");
        Assert.InRange(runner.RetryDelay(40), TimeSpan.FromMinutes(30), TimeSpan.FromHours(1));
    }

    [Fact]
    public async Task A_completed_handler_is_not_run_again_after_a_restart()
    {
        await using (var first = await StartAsync(h => h
            .OnAny("done", (context, _) => { _sink.Ran("done", context); return Task.CompletedTask; })
            .OnAny("failing", (context, _) => { _sink.Ran("failing", context); throw new InvalidOperationException("down"); }),
            o => o.HandlerRetryDelay = TimeSpan.FromHours(1)))
        {
            await PostAsync(first, TestSender.Body(id: "e-restart"));
            await Eventually.GetAsync(() => first.Admin.GetAsync("e-restart"), e => e?.Runs == 1, "the first run to be recorded");
        }

        await using var second = await StartAsync(h => h
            .OnAny("done", (context, _) => { _sink.Ran("done", context); return Task.CompletedTask; })
            .OnAny("failing", (context, _) => { _sink.Ran("failing", context); return Task.CompletedTask; }));
        Assert.True(await second.Admin.ReplayAsync("e-restart"));
        await WaitForStateAsync(second, "e-restart", InboxEntryState.Handled);

        Assert.Equal(1, _sink.Runs("e-restart", "done"));
        Assert.Equal(2, _sink.Runs("e-restart", "failing"));

        // And the same event POSTed again to the new host is a duplicate.
        var body = TestSender.Body(id: "e-restart");
        using var again = await second.PostAsync(body, _sender.Sign(body));
        Assert.Contains("duplicate", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Handled_events_and_request_records_are_deleted_after_the_retention_period()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = await ReceiverApp.StartAsync(
            o =>
            {
                o.PublicKeys.Add(_sender.PublicKey);
                o.DataDirectory = _data;
                o.KeepHandledFor = TimeSpan.FromDays(2);
                o.RecordAllRequests = true;
            },
            h => h.OnAny("any", (context, _) => { _sink.Ran("any", context); return Task.CompletedTask; }),
            builder =>
            {
                builder.Services.AddSingleton<TimeProvider>(time);
                builder.Logging.AddFilter("Switchboard.Receiver.Storage.InboxRetention", LogLevel.Debug);
            });
        var body = TestSender.Body(id: "e-old");
        using (var response = await app.PostAsync(body, _sender.Sign(body, time.GetUtcNow())))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await WaitForStateAsync(app, "e-old", InboxEntryState.Handled);
        time.Advance(TimeSpan.FromDays(1));
        // Retention has run at one day (it logs each pass with its cutoff), and kept what is younger than two.
        var cutoff = (time.GetUtcNow() - TimeSpan.FromDays(2)).ToString("o", CultureInfo.InvariantCulture);
        await Eventually.TrueAsync(() => app.Logs.Entries.Any(e => e.Message.EndsWith($"finished before {cutoff}", StringComparison.Ordinal)), "retention to run at one day");
        Assert.NotNull(await app.Admin.GetAsync("e-old"));
        Assert.Single(await app.Admin.ListRequestsAsync());

        time.Advance(TimeSpan.FromDays(1.5));
        // The retention loop may set its next hourly timer only after that advance (it was still pruning at one day,
        // on a busy machine): keep the clock moving an hour per look until it has run.
        await Eventually.GetAsync(() => AdvancingAsync(time, () => app.Admin.GetAsync("e-old")), e => e is null, "the old event to be deleted");
        await Eventually.GetAsync(() => AdvancingAsync(time, () => app.Admin.ListRequestsAsync()), r => r.Count == 0, "the old request record to be deleted");
    }

    private static async Task<T> AdvancingAsync<T>(Microsoft.Extensions.Time.Testing.FakeTimeProvider time, Func<Task<T>> read)
    {
        var value = await read();
        time.Advance(TimeSpan.FromHours(1));
        return value;
    }

    [Fact]
    public async Task Without_a_key_the_app_does_not_start_and_every_problem_is_listed()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => ReceiverApp.StartAsync(o =>
        {
            o.DataDirectory = _data;
            o.MaxHandlerAttempts = 0;
        }));

        Assert.Contains(error.Failures, f => f.Contains("no key is configured", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("MaxHandlerAttempts", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bad_key_stops_the_start()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => ReceiverApp.StartAsync(o =>
        {
            o.DataDirectory = _data;
            o.PublicKeys.Add("c2hvcnQ=");
        }));

        Assert.Contains(error.Failures, f => f.Contains("PublicKeys[0]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_data_directory_that_cannot_hold_the_inbox_stops_the_start()
    {
        var file = Path.Combine(_data, "a-file");
        Directory.CreateDirectory(_data);
        await File.WriteAllBytesAsync(file, [1]);

        var error = await Assert.ThrowsAsync<WebhookStoreUnavailableException>(() => ReceiverApp.StartAsync(o =>
        {
            o.DataDirectory = Path.Combine(file, "data");
            o.PublicKeys.Add(_sender.PublicKey);
        }));

        Assert.Contains(Path.Combine(file, "data", "telnyx-webhooks.db"), error.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<IOException>(error.InnerException);
    }

    [Fact]
    public async Task Accept_unsigned_warns_at_start_and_marks_webhooks_unverified()
    {
        await using var app = await ReceiverApp.StartAsync(o =>
        {
            o.DataDirectory = _data;
            o.AcceptUnsigned = true;
        }, h => h.OnAny("any", (context, _) => { _sink.Ran("any", context); return Task.CompletedTask; }));

        Assert.Contains(app.Logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("AcceptUnsigned", StringComparison.Ordinal));
        using var response = await app.PostAsync(TestSender.Body(id: "e-unsigned"), []);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var entry = await WaitForStateAsync(app, "e-unsigned", InboxEntryState.Handled);
        Assert.Equal("unverified", entry!.Verification);
        Assert.False(Assert.Single(_sink.Contexts).Verified);
    }
}
