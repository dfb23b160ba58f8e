using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Switchboard.Platform.Tests.Support;
using Xunit.Abstractions;

namespace Switchboard.Platform.Tests;

/// <summary>
/// Crash safety with a real process: <c>serve</c> is killed with SIGKILL three times while hundreds of messages are in
/// flight, and started again on the same data folder. Every message the API accepted must reach <c>message.finalized</c>
/// at the receiver, signed.
/// </summary>
public sealed class CrashTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("switchboard-serve-crash-").FullName;
    private WebhookSink _sink = null!;

    public async Task InitializeAsync() => _sink = await WebhookSink.StartAsync();

    public async Task DisposeAsync()
    {
        await _sink.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Every_accepted_message_is_finalized_at_the_receiver_across_three_kills()
    {
        const int Kills = 3;
        const int PerRun = 150;
        string[] arguments = ["--data", Path.Combine(_folder, "data"), "--lifecycle-delay", "30ms", "--global-webhook-url", _sink.Url("/hooks")];
        var accepted = new ConcurrentBag<string>();
        var number = "+18445550001";

        for (var run = 0; run <= Kills; run++)
        {
            await using var serve = await ServeProcess.StartAsync(arguments);
            using var client = serve.Client();
            if (run == 0)
            {
                var profile = await PostAsync(client, "/v2/messaging_profiles", new JsonObject { ["name"] = "crash", ["whitelisted_destinations"] = new JsonArray("US") });
                await PostAsync(client, "/v2/number_orders", new JsonObject
                {
                    ["phone_numbers"] = new JsonArray(new JsonObject { ["phone_number"] = number }),
                    ["messaging_profile_id"] = profile!.Value.GetProperty("id").GetString(),
                });
            }

            // Senders keep going while the process is killed under them: what got a 200 is accepted.
            using var stop = new CancellationTokenSource();
            var senders = Enumerable.Range(0, 4).Select(s => Task.Run(async () =>
            {
                for (var i = 0; i < PerRun / 4 && !stop.IsCancellationRequested; i++)
                {
                    var sent = await PostAsync(client, "/v2/messages", new JsonObject { ["from"] = number, ["to"] = $"+1312555{2000 + i:D4}", ["text"] = $"run {run}" });
                    if (sent is { } message)
                    {
                        accepted.Add(message.GetProperty("id").GetString()!);
                    }
                }
            })).ToArray();

            if (run < Kills)
            {
                var before = accepted.Count;
                await Eventually.TrueAsync(() => accepted.Count >= before + PerRun / 2, $"run {run} to accept messages");
                serve.Kill();
                await stop.CancelAsync();
            }

            await Task.WhenAll(senders);
            if (run == Kills)
            {
                var ids = accepted.ToHashSet();
                await Eventually.TrueAsync(() => ids.All(id => _sink.For(id).Any(w => w.EventType == "message.finalized")),
                    "every accepted message to be finalized at the receiver", TimeSpan.FromMinutes(2));
            }
        }

        var finalized = _sink.Received.Where(w => w.EventType == "message.finalized").ToList();
        Assert.All(finalized, w => Assert.True(w.VerifiesWith(PublicKey())));
        foreach (var id in accepted)
        {
            var events = _sink.For(id).DistinctBy(w => w.EventId).Select(w => w.EventType).ToList();
            Assert.Equal(["message.sent", "message.delivered", "message.finalized"], events);
        }

        var repeats = _sink.Received.Count - _sink.Received.DistinctBy(w => w.EventId).Count();
        output.WriteLine($"{accepted.Count} messages accepted over {Kills} kills; {_sink.Received.Count} webhooks, {repeats} repeated (at-least-once)");
    }

    [Fact]
    public async Task Every_accepted_call_ends_with_call_hangup_at_the_receiver_across_kills()
    {
        const int Kills = 2;
        string[] arguments = ["--data", Path.Combine(_folder, "data"), "--lifecycle-delay", "100ms"];
        var accepted = new ConcurrentBag<string>();
        string? application = null;

        for (var run = 0; run <= Kills; run++)
        {
            await using var serve = await ServeProcess.StartAsync(arguments);
            using var client = serve.Client();
            if (run == 0)
            {
                application = (await PostAsync(client, "/v2/call_control_applications",
                    new JsonObject { ["application_name"] = "crash", ["webhook_event_url"] = _sink.Url("/calls") }))!.Value.GetProperty("id").GetString();
                await PostAsync(client, "/v2/number_orders", new JsonObject
                {
                    ["phone_numbers"] = new JsonArray(new JsonObject { ["phone_number"] = "+18445550001" }),
                    ["connection_id"] = application,
                });
            }

            // Each call is answered and then hung up by the far end a few lifecycle delays later: kills land mid-call.
            for (var i = 0; i < 30; i++)
            {
                var call = await PostAsync(client, "/v2/calls", new JsonObject
                {
                    ["connection_id"] = application, ["from"] = "+18445550001", ["to"] = "+13125550114", ["client_state"] = "Y3Jhc2g=",
                });
                accepted.Add(call!.Value.GetProperty("call_session_id").GetString()!);
            }

            if (run < Kills)
            {
                serve.Kill();
            }
            else
            {
                var sessions = accepted.ToHashSet();
                await Eventually.TrueAsync(() => sessions.All(s => _sink.Received.Any(w => w.CallSessionId == s && w.EventType == "call.hangup")),
                    "every accepted call to end with call.hangup", TimeSpan.FromMinutes(2));
            }
        }

        foreach (var session in accepted)
        {
            var events = _sink.Received.Where(w => w.CallSessionId == session).DistinctBy(w => w.EventId).Select(w => w.EventType).ToList();
            Assert.Equal(["call.initiated", "call.answered", "call.hangup"], events);
        }

        Assert.All(_sink.Received, w => Assert.True(w.VerifiesWith(PublicKey())));
        var repeats = _sink.Received.Count - _sink.Received.DistinctBy(w => w.EventId).Count();
        output.WriteLine($"{accepted.Count} calls over {Kills} kills; {_sink.Received.Count} webhooks, {repeats} repeated (at-least-once)");
    }

    [Fact]
    public async Task Gathers_and_transfers_cut_off_by_kills_still_end_with_their_webhooks()
    {
        const int Kills = 2;
        const int PerRun = 6;
        string[] arguments = ["--data", Path.Combine(_folder, "data"), "--lifecycle-delay", "300ms"];
        var gathering = new ConcurrentBag<(string Id, string Session)>();
        var transferring = new ConcurrentBag<string>();
        string? application = null;

        for (var run = 0; run <= Kills; run++)
        {
            await using var serve = await ServeProcess.StartAsync(arguments);
            using var client = serve.Client();
            if (run == 0)
            {
                application = (await PostAsync(client, "/v2/call_control_applications",
                    new JsonObject { ["application_name"] = "crash ivr", ["webhook_event_url"] = _sink.Url("/calls") }))!.Value.GetProperty("id").GetString();
                await PostAsync(client, "/v2/number_orders", new JsonObject
                {
                    ["phone_numbers"] = new JsonArray(new JsonObject { ["phone_number"] = "+18445550001" }),
                    ["connection_id"] = application,
                });
            }

            if (run == Kills)
            {
                await Eventually.TrueAsync(() => gathering.All(c => _sink.Received.Any(w => w.CallSessionId == c.Session && w.EventType == "call.gather.ended"))
                    && transferring.All(s => _sink.Received.Where(w => w.CallSessionId == s && w.EventType == "call.hangup").DistinctBy(w => w.EventId).Count() == 2),
                    "every gather to time out and every transfer to end on both legs", TimeSpan.FromMinutes(2));
                foreach (var (id, _) in gathering)
                {
                    await PostAsync(client, $"/v2/calls/{Uri.EscapeDataString(id)}/actions/hangup", []);
                }

                await Eventually.TrueAsync(() => gathering.All(c => _sink.Received.Any(w => w.CallSessionId == c.Session && w.EventType == "call.hangup")), "the gathering calls hung up");
                break;
            }

            // Answered inbound calls: half gather (their waits run out after the kill), half transfer to a far end that
            // answers and hangs up a few lifecycle delays later (the bridge and both hang-ups come after the kill).
            for (var i = 0; i < PerRun; i++)
            {
                var ringing = await PostAsync(client, "/_switchboard/inbound_calls", new JsonObject { ["from"] = $"+1312555{3000 + run * 100 + i:D4}", ["to"] = "+18445550001" });
                var id = ringing!.Value.GetProperty("call_control_id").GetString()!;
                var session = ringing.Value.GetProperty("call_session_id").GetString()!;
                var path = $"/v2/calls/{Uri.EscapeDataString(id)}/actions";
                Assert.NotNull(await PostAsync(client, $"{path}/answer", []));
                if (i % 2 == 0)
                {
                    Assert.NotNull(await PostAsync(client, $"{path}/gather", new JsonObject { ["initial_timeout_millis"] = 1500 }));
                    gathering.Add((id, session));
                }
                else
                {
                    Assert.NotNull(await PostAsync(client, $"{path}/transfer", new JsonObject { ["to"] = "+13125550114" }));
                    transferring.Add(session);
                }
            }

            serve.Kill();
        }

        foreach (var (_, session) in gathering)
        {
            var events = _sink.Received.Where(w => w.CallSessionId == session).DistinctBy(w => w.EventId).ToList();
            Assert.Equal(["call.initiated", "call.answered", "call.gather.ended", "call.hangup"], events.Select(w => w.EventType));
            Assert.Equal("timeout", events[2].Payload.GetProperty("status").GetString());
        }

        foreach (var session in transferring)
        {
            var legs = _sink.Received.Where(w => w.CallSessionId == session).DistinctBy(w => w.EventId)
                .GroupBy(w => w.Payload.GetProperty("call_control_id").GetString()).ToList();
            Assert.Equal(2, legs.Count);
            Assert.All(legs, leg => Assert.Equal(["call.initiated", "call.answered", "call.bridged", "call.hangup"], leg.Select(w => w.EventType)));
        }

        Assert.All(_sink.Received, w => Assert.True(w.VerifiesWith(PublicKey())));
        output.WriteLine($"{gathering.Count} gathers and {transferring.Count} transfers over {Kills} kills; {_sink.Received.Count} webhooks");
    }

    private string PublicKey() => File.ReadAllText(Path.Combine(_folder, "data", "ed25519.pub")).Trim();

    /// <summary>The answer's data on a 2xx; null when the request failed (the process was killed under it).</summary>
    private static async Task<JsonElement?> PostAsync(HttpClient client, string path, JsonObject body)
    {
        try
        {
            using var response = await client.PostAsJsonAsync(path, body);
            return response.IsSuccessStatusCode ? (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data") : null;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }
}
