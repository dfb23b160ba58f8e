using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Switchboard.Platform.Tests.Support;
using Xunit.Abstractions;

namespace Switchboard.Platform.Tests;

/// <summary>
/// Crash safety with a real process: <c>serve</c> is killed with SIGKILL three times while hundreds of messages are in
/// flight, and started again on the same data folder. Every message the API accepted must reach <c>message.finalized</c>
/// at the receiver, signed.
/// </summary>
public sealed class CrashTests(ITestOutputHelper output) : ServeProcessTest("switchboard-serve-crash-")
{
    [Fact]
    public async Task Every_accepted_message_is_finalized_at_the_receiver_across_three_kills()
    {
        const int Kills = 3;
        const int PerRun = 150;
        string[] arguments = ["--data", Path.Combine(Folder, "data"), "--lifecycle-delay", "30ms", "--global-webhook-url", Sink.Url("/hooks")];
        var accepted = new ConcurrentBag<string>();
        var number = "+18445550001";

        for (var run = 0; run <= Kills; run++)
        {
            await using var serve = await ServeProcess.StartAsync(arguments);
            using var client = serve.Client();
            if (run == 0)
            {
                await ProfileWithNumberAsync(client, "crash", number);
            }

            // Senders keep going while the process is killed under them: what got a 200 is accepted.
            using var stop = new CancellationTokenSource();
            var senders = Enumerable.Range(0, 4).Select(s => Task.Run(async () =>
            {
                for (var i = 0; i < PerRun / 4 && !stop.IsCancellationRequested; i++)
                {
                    var sent = await TryPostAsync(client, "/v2/messages", new JsonObject { ["from"] = number, ["to"] = $"+1312555{2000 + i:D4}", ["text"] = $"run {run}" });
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
                await Eventually.TrueAsync(() => ids.All(id => Sink.For(id).Any(w => w.EventType == "message.finalized")),
                    "every accepted message to be finalized at the receiver", TimeSpan.FromMinutes(2));
            }
        }

        var finalized = Sink.Received.Where(w => w.EventType == "message.finalized").ToList();
        Assert.All(finalized, w => Assert.True(w.VerifiesWith(PublicKey())));
        foreach (var id in accepted)
        {
            var events = Sink.For(id).DistinctBy(w => w.EventId).Select(w => w.EventType).ToList();
            Assert.Equal(["message.sent", "message.delivered", "message.finalized"], events);
        }

        var repeats = Sink.Received.Count - Sink.Received.DistinctBy(w => w.EventId).Count();
        output.WriteLine($"{accepted.Count} messages accepted over {Kills} kills; {Sink.Received.Count} webhooks, {repeats} repeated (at-least-once)");
    }

    [Fact]
    public async Task Every_accepted_call_ends_with_call_hangup_at_the_receiver_across_kills()
    {
        const int Kills = 2;
        string[] arguments = ["--data", Path.Combine(Folder, "data"), "--lifecycle-delay", "100ms"];
        var accepted = new ConcurrentBag<string>();
        string? application = null;

        for (var run = 0; run <= Kills; run++)
        {
            await using var serve = await ServeProcess.StartAsync(arguments);
            using var client = serve.Client();
            if (run == 0)
            {
                application = await ApplicationWithNumberAsync(client, "crash", "+18445550001", Sink.Url("/calls"));
            }

            // Each call is answered and then hung up by the far end a few lifecycle delays later: kills land mid-call.
            for (var i = 0; i < 30; i++)
            {
                var call = await TryPostAsync(client, "/v2/calls", new JsonObject
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
                await Eventually.TrueAsync(() => sessions.All(s => Sink.Received.Any(w => w.CallSessionId == s && w.EventType == "call.hangup")),
                    "every accepted call to end with call.hangup", TimeSpan.FromMinutes(2));
            }
        }

        foreach (var session in accepted)
        {
            var events = Sink.Received.Where(w => w.CallSessionId == session).DistinctBy(w => w.EventId).Select(w => w.EventType).ToList();
            Assert.Equal(["call.initiated", "call.answered", "call.hangup"], events);
        }

        Assert.All(Sink.Received, w => Assert.True(w.VerifiesWith(PublicKey())));
        var repeats = Sink.Received.Count - Sink.Received.DistinctBy(w => w.EventId).Count();
        output.WriteLine($"{accepted.Count} calls over {Kills} kills; {Sink.Received.Count} webhooks, {repeats} repeated (at-least-once)");
    }

    [Fact]
    public async Task Gathers_and_transfers_cut_off_by_kills_still_end_with_their_webhooks()
    {
        const int Kills = 2;
        const int PerRun = 6;
        string[] arguments = ["--data", Path.Combine(Folder, "data"), "--lifecycle-delay", "300ms"];
        var gathering = new ConcurrentBag<(string Id, string Session)>();
        var transferring = new ConcurrentBag<string>();
        string? application = null;

        for (var run = 0; run <= Kills; run++)
        {
            await using var serve = await ServeProcess.StartAsync(arguments);
            using var client = serve.Client();
            if (run == 0)
            {
                application = await ApplicationWithNumberAsync(client, "crash ivr", "+18445550001", Sink.Url("/calls"));
            }

            if (run == Kills)
            {
                await Eventually.TrueAsync(() => gathering.All(c => Sink.Received.Any(w => w.CallSessionId == c.Session && w.EventType == "call.gather.ended"))
                    && transferring.All(s => Sink.Received.Where(w => w.CallSessionId == s && w.EventType == "call.hangup").DistinctBy(w => w.EventId).Count() == 2),
                    "every gather to time out and every transfer to end on both legs", TimeSpan.FromMinutes(2));
                foreach (var (id, _) in gathering)
                {
                    await TryPostAsync(client, $"/v2/calls/{Uri.EscapeDataString(id)}/actions/hangup", []);
                }

                await Eventually.TrueAsync(() => gathering.All(c => Sink.Received.Any(w => w.CallSessionId == c.Session && w.EventType == "call.hangup")), "the gathering calls hung up");
                break;
            }

            // Answered inbound calls: half gather (their waits run out after the kill), half transfer to a far end that
            // answers and hangs up a few lifecycle delays later (the bridge and both hang-ups come after the kill).
            for (var i = 0; i < PerRun; i++)
            {
                var ringing = await TryPostAsync(client, "/_switchboard/inbound_calls", new JsonObject { ["from"] = $"+1312555{3000 + run * 100 + i:D4}", ["to"] = "+18445550001" });
                var id = ringing!.Value.GetProperty("call_control_id").GetString()!;
                var session = ringing.Value.GetProperty("call_session_id").GetString()!;
                var path = $"/v2/calls/{Uri.EscapeDataString(id)}/actions";
                Assert.NotNull(await TryPostAsync(client, $"{path}/answer", []));
                if (i % 2 == 0)
                {
                    Assert.NotNull(await TryPostAsync(client, $"{path}/gather", new JsonObject { ["initial_timeout_millis"] = 1500 }));
                    gathering.Add((id, session));
                }
                else
                {
                    Assert.NotNull(await TryPostAsync(client, $"{path}/transfer", new JsonObject { ["to"] = "+13125550114" }));
                    transferring.Add(session);
                }
            }

            serve.Kill();
        }

        foreach (var (_, session) in gathering)
        {
            var events = Sink.Received.Where(w => w.CallSessionId == session).DistinctBy(w => w.EventId).ToList();
            Assert.Equal(["call.initiated", "call.answered", "call.gather.ended", "call.hangup"], events.Select(w => w.EventType));
            Assert.Equal("timeout", events[2].Payload.GetProperty("status").GetString());
        }

        foreach (var session in transferring)
        {
            var legs = Sink.Received.Where(w => w.CallSessionId == session).DistinctBy(w => w.EventId)
                .GroupBy(w => w.Payload.GetProperty("call_control_id").GetString()).ToList();
            Assert.Equal(2, legs.Count);
            Assert.All(legs, leg => Assert.Equal(["call.initiated", "call.answered", "call.bridged", "call.hangup"], leg.Select(w => w.EventType)));
        }

        Assert.All(Sink.Received, w => Assert.True(w.VerifiesWith(PublicKey())));
        output.WriteLine($"{gathering.Count} gathers and {transferring.Count} transfers over {Kills} kills; {Sink.Received.Count} webhooks");
    }
}
