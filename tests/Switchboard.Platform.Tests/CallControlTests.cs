using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Platform.Tests.Support;

namespace Switchboard.Platform.Tests;

/// <summary>
/// Call Control driven as an application drives Telnyx: dial, commands, inbound calls, the far end by magic number,
/// recordings; the webhooks each causes, in order, with the fields the SDK's types declare. The platform runs on a fake
/// clock: a test moves it and waits until everything due has run (<see cref="PlatformApp.RunDueAsync"/>), no sleeps.
/// </summary>
public sealed partial class CallControlTests : IAsyncLifetime
{
    private const string Number = "+18445550001";
    private const string ClientState = "aGVsbG8gd29ybGQ=";
    private WebhookSink _sink = null!;
    private PlatformApp _platform = null!;
    private string _application = "";
    private FakeTimeProvider? _clock;
    private TimeSpan _step;

    public async Task InitializeAsync()
    {
        _sink = await WebhookSink.StartAsync();
        await StartPlatformAsync(TimeSpan.FromMilliseconds(50), new FakeTimeProvider(DateTimeOffset.UtcNow));
    }

    /// <summary>
    /// The platform with an application and a number; each step of a call's life (answer, a speak's end) comes
    /// <paramref name="lifecycleDelay"/> after the last. On a <paramref name="clock"/>, waiting for events moves it a
    /// lifecycle delay at a time, unless that is an hour or more (then it never moves by itself).
    /// </summary>
    private async Task StartPlatformAsync(TimeSpan lifecycleDelay, FakeTimeProvider? clock)
    {
        (_clock, _step) = (clock, lifecycleDelay < TimeSpan.FromHours(1) ? lifecycleDelay : TimeSpan.Zero);
        _platform = await PlatformApp.StartAsync(options => options.LifecycleDelay = lifecycleDelay, clock);
        _application = (await _platform.PostAsync("/v2/call_control_applications",
            new JsonObject { ["application_name"] = "calls", ["webhook_event_url"] = _sink.Url("/calls") })).GetProperty("id").GetString()!;
        await _platform.PostAsync("/v2/number_orders", new JsonObject
        {
            ["phone_numbers"] = new JsonArray(new JsonObject { ["phone_number"] = Number }),
            ["connection_id"] = _application,
        });
    }

    public async Task DisposeAsync()
    {
        await _platform.DisposeAsync();
        await _sink.DisposeAsync();
    }

    private async Task<JsonElement> DialAsync(string to, JsonObject? extra = null)
    {
        var body = new JsonObject { ["connection_id"] = _application, ["from"] = Number, ["to"] = to, ["client_state"] = ClientState };
        foreach (var (name, value) in extra ?? [])
        {
            body[name] = value?.DeepClone();
        }

        return await _platform.PostAsync("/v2/calls", body);
    }

    private Task<JsonElement> CommandAsync(string callControlId, string action, JsonObject? body = null) =>
        _platform.PostAsync($"/v2/calls/{Uri.EscapeDataString(callControlId)}/actions/{action}", body ?? []);

    private async Task<IReadOnlyList<SinkRequest>> EventsAsync(string session, params string[] upTo)
    {
        IReadOnlyList<SinkRequest> Events() => [.. _sink.Received.Where(r => r.CallSessionId == session)];
        await UntilAsync(() => upTo.All(type => Events().Any(e => e.EventType == type)), $"{string.Join(", ", upTo)} of call session {session}");
        return Events();
    }

    /// <summary>Runs the platform until <paramref name="done"/>: on the fake clock, moving it a step at a time.</summary>
    private Task UntilAsync(Func<bool> done, string what) =>
        _clock is null ? Eventually.TrueAsync(done, what) : _platform.AdvanceUntilAsync(_clock, _step, done, what);

    /// <summary>Lets <paramref name="span"/> pass on the fake clock, a step at a time, running what is due at each.</summary>
    private Task PassAsync(TimeSpan span) => _platform.AdvanceAsync(_clock!, span, _step);

    [Fact]
    public async Task A_dialed_call_is_answered_recorded_and_hung_up_with_the_sdks_fields_in_order()
    {
        var call = await DialAsync("+13125550199");
        var id = call.GetProperty("call_control_id").GetString()!;
        var session = call.GetProperty("call_session_id").GetString()!;
        // The spec: a dial's answer always says is_alive false (dialing is asynchronous); the call's status says true.
        Assert.Equal(("call", false), (call.GetProperty("record_type").GetString(), call.GetProperty("is_alive").GetBoolean()));
        Assert.True((await _platform.GetAsync($"/v2/calls/{Uri.EscapeDataString(call.GetProperty("call_control_id").GetString()!)}")).GetProperty("is_alive").GetBoolean());
        Assert.StartsWith("v3:", id, StringComparison.Ordinal);

        await EventsAsync(session, "call.answered");
        await CommandAsync(id, "record_start", new JsonObject { ["format"] = "mp3", ["channels"] = "dual" });
        await PassAsync(TimeSpan.FromMilliseconds(1200));
        await CommandAsync(id, "hangup");
        var events = await EventsAsync(session, "call.recording.saved");

        Assert.Equal(["call.initiated", "call.answered", "call.hangup", "call.recording.saved"], events.Select(e => e.EventType));
        Assert.All(events, e => Assert.True(e.VerifiesWith(_platform.PublicKey)));
        Assert.All(events, e => Assert.Equal(ClientState, e.Payload.GetProperty("client_state").GetString()));
        var initiated = events[0].Payload;
        Assert.Equal(("outgoing", "bridging", Number, "+13125550199", _application), (initiated.GetProperty("direction").GetString(), initiated.GetProperty("state").GetString(),
            initiated.GetProperty("from").GetString(), initiated.GetProperty("to").GetString(), initiated.GetProperty("connection_id").GetString()));
        var hangup = events[2].Payload;
        Assert.Equal(("normal_clearing", "caller", "hangup"), (hangup.GetProperty("hangup_cause").GetString(), hangup.GetProperty("hangup_source").GetString(), hangup.GetProperty("state").GetString()));
        Assert.True(hangup.TryGetProperty("start_time", out _));
        Assert.False(hangup.TryGetProperty("end_time", out _));
        var saved = events[3].Payload;
        Assert.False(saved.TryGetProperty("call_control_id", out _));
        Assert.Equal((call.GetProperty("call_leg_id").GetString(), session, "dual"),
            (saved.GetProperty("call_leg_id").GetString(), saved.GetProperty("call_session_id").GetString(), saved.GetProperty("channels").GetString()));

        // The links work without the API key, and the WAV lasts as long as the recording.
        using var anonymous = new HttpClient();
        var wav = await anonymous.GetByteArrayAsync(saved.GetProperty("recording_urls").GetProperty("wav").GetString());
        var seconds = (wav.Length - 44) / (8000.0 * 2 * 2);
        var recorded = (saved.GetProperty("recording_ended_at").GetDateTimeOffset() - saved.GetProperty("recording_started_at").GetDateTimeOffset()).TotalSeconds;
        Assert.Equal("RIFF", System.Text.Encoding.ASCII.GetString(wav, 0, 4));
        Assert.InRange(seconds, recorded - 0.01, recorded + 0.01);
        Assert.InRange(seconds, 1.1, 10);
        var mp3 = await anonymous.GetByteArrayAsync(saved.GetProperty("recording_urls").GetProperty("mp3").GetString());
        Assert.Equal((0xFF, 0xFB), (mp3[0], mp3[1]));
        var forged = saved.GetProperty("recording_urls").GetProperty("wav").GetString()!.Replace("signature=", "signature=0", StringComparison.Ordinal);
        Assert.Equal(403, (int)(await anonymous.GetAsync(forged)).StatusCode);

        var status = await _platform.GetAsync($"/v2/calls/{Uri.EscapeDataString(id)}");
        Assert.False(status.GetProperty("is_alive").GetBoolean());
    }

    [Fact]
    public async Task A_recording_link_answers_head_and_single_byte_ranges()
    {
        var call = await DialAsync("+13125550199", new JsonObject { ["record"] = "record-from-answer", ["record_format"] = "mp3" });
        var session = call.GetProperty("call_session_id").GetString()!;
        await EventsAsync(session, "call.answered");
        await PassAsync(TimeSpan.FromMilliseconds(500));
        await CommandAsync(call.GetProperty("call_control_id").GetString()!, "hangup");
        var saved = (await EventsAsync(session, "call.recording.saved")).Single(e => e.EventType == "call.recording.saved").Payload;
        using var client = new HttpClient();

        foreach (var (format, contentType) in new[] { ("wav", "audio/wav"), ("mp3", "audio/mpeg") })
        {
            var url = saved.GetProperty("recording_urls").GetProperty(format).GetString()!;
            using var whole = await client.GetAsync(url);
            var audio = await whole.Content.ReadAsByteArrayAsync();
            var length = audio.Length;
            Assert.Equal((200, "bytes"), ((int)whole.StatusCode, whole.Headers.AcceptRanges.Single()));
            Assert.InRange(length, 1000, 10_000_000);

            using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, url));
            Assert.Equal((200, contentType, length, "bytes"),
                ((int)head.StatusCode, head.Content.Headers.ContentType?.MediaType, head.Content.Headers.ContentLength, head.Headers.AcceptRanges.Single()));
            Assert.Empty(await head.Content.ReadAsByteArrayAsync());

            // The header, a stretch from an odd offset in the middle, the last bytes (open-ended and as a suffix).
            foreach (var (from, to) in new (long? From, long? To)[] { (0, 99), (length / 2 + 1, length / 2 + 700), (length - 5, null), (null, 10) })
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(from, to);
                using var part = await client.SendAsync(request);
                var (first, last) = from is null ? (length - to!.Value, length - 1L) : (from.Value, to ?? length - 1L);
                Assert.True((int)part.StatusCode == 206, $"{format} bytes={from}-{to}: {(int)part.StatusCode}");
                Assert.Equal($"bytes {first}-{last}/{length}", part.Content.Headers.ContentRange?.ToString());
                Assert.Equal(audio[(int)first..(int)(last + 1)], await part.Content.ReadAsByteArrayAsync());
            }

            // Several ranges in one request: the whole file, as ASP.NET Core answers them.
            using var several = new HttpRequestMessage(HttpMethod.Get, url);
            several.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, 9);
            several.Headers.Range.Ranges.Add(new System.Net.Http.Headers.RangeItemHeaderValue(20, 29));
            using var severalAnswer = await client.SendAsync(several);
            Assert.Equal((200, length), ((int)severalAnswer.StatusCode, (await severalAnswer.Content.ReadAsByteArrayAsync()).Length));

            using var pastTheEnd = new HttpRequestMessage(HttpMethod.Get, url);
            pastTheEnd.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(length, null);
            using var unsatisfiable = await client.SendAsync(pastTheEnd);
            Assert.Equal((416, $"bytes */{length}"), ((int)unsatisfiable.StatusCode, unsatisfiable.Content.Headers.ContentRange?.ToString()));
        }
    }

    [Theory]
    [InlineData("+13125550111", "user_busy", "callee", "486")]
    [InlineData("+13125550113", "call_rejected", "callee", "603")]
    [InlineData("+13125550112", "timeout", "caller", "487")]
    public async Task A_far_end_that_does_not_answer_ends_the_call_with_its_cause(string to, string cause, string source, string sip)
    {
        var session = (await DialAsync(to, new JsonObject { ["timeout_secs"] = 1 })).GetProperty("call_session_id").GetString()!;

        var events = await EventsAsync(session, "call.hangup");

        Assert.Equal(["call.initiated", "call.hangup"], events.Select(e => e.EventType));
        var hangup = events[1].Payload;
        Assert.Equal((cause, source, sip), (hangup.GetProperty("hangup_cause").GetString(), hangup.GetProperty("hangup_source").GetString(), hangup.GetProperty("sip_hangup_cause").GetString()));
    }

    [Fact]
    public async Task A_far_end_that_answers_and_hangs_up_ends_the_call_from_the_callee()
    {
        var session = (await DialAsync("+13125550114")).GetProperty("call_session_id").GetString()!;

        var events = await EventsAsync(session, "call.hangup");

        Assert.Equal(["call.initiated", "call.answered", "call.hangup"], events.Select(e => e.EventType));
        Assert.Equal(("normal_clearing", "callee"), (events[2].Payload.GetProperty("hangup_cause").GetString(), events[2].Payload.GetProperty("hangup_source").GetString()));
    }

    [Fact]
    public async Task An_inbound_call_rings_the_application_which_answers_it_or_rejects_it_or_lets_it_ring_out()
    {
        var answered = await _platform.PostAsync("/_switchboard/inbound_calls", new JsonObject { ["from"] = "+13125550150", ["to"] = Number });
        var initiated = (await EventsAsync(answered.GetProperty("call_session_id").GetString()!, "call.initiated"))[0].Payload;
        Assert.Equal(("incoming", "parked", "+13125550150", Number), (initiated.GetProperty("direction").GetString(), initiated.GetProperty("state").GetString(),
            initiated.GetProperty("from").GetString(), initiated.GetProperty("to").GetString()));
        await CommandAsync(initiated.GetProperty("call_control_id").GetString()!, "answer", new JsonObject { ["client_state"] = ClientState });
        var answeredEvents = await EventsAsync(answered.GetProperty("call_session_id").GetString()!, "call.answered");
        Assert.Equal(ClientState, answeredEvents[^1].Payload.GetProperty("client_state").GetString());

        var rejected = await _platform.PostAsync("/_switchboard/inbound_calls", new JsonObject { ["from"] = "+13125550151", ["to"] = Number });
        await CommandAsync(rejected.GetProperty("call_control_id").GetString()!, "reject", new JsonObject { ["cause"] = "USER_BUSY" });
        var rejectedEvents = await EventsAsync(rejected.GetProperty("call_session_id").GetString()!, "call.hangup");
        Assert.Equal("user_busy", rejectedEvents[^1].Payload.GetProperty("hangup_cause").GetString());

        var unanswered = await _platform.PostAsync("/_switchboard/inbound_calls", new JsonObject { ["from"] = "+13125550152", ["to"] = Number, ["timeout_secs"] = 1 });
        var unansweredEvents = await EventsAsync(unanswered.GetProperty("call_session_id").GetString()!, "call.hangup");
        Assert.Equal(("originator_cancel", "caller"), (unansweredEvents[^1].Payload.GetProperty("hangup_cause").GetString(), unansweredEvents[^1].Payload.GetProperty("hangup_source").GetString()));
    }

    [Fact]
    public async Task A_speak_starts_and_ends_and_a_hangup_during_one_ends_it_first()
    {
        // A playback lasts two lifecycle delays, and the fake clock stands still between two commands: the hangup sent
        // right after it arrives during it.
        await _platform.DisposeAsync();
        await StartPlatformAsync(TimeSpan.FromSeconds(1), new FakeTimeProvider(DateTimeOffset.UtcNow));
        var call = await DialAsync("+13125550199");
        var id = call.GetProperty("call_control_id").GetString()!;
        var session = call.GetProperty("call_session_id").GetString()!;
        await EventsAsync(session, "call.answered");

        await CommandAsync(id, "speak", new JsonObject { ["payload"] = "Hello", ["voice"] = "female" });
        var spoken = await EventsAsync(session, "call.speak.ended");
        Assert.Equal("completed", spoken.Last(e => e.EventType == "call.speak.ended").Payload.GetProperty("status").GetString());
        await CommandAsync(id, "playback_start", new JsonObject { ["audio_url"] = "https://example.com/hold.mp3" });
        await CommandAsync(id, "hangup");

        var events = await EventsAsync(session, "call.hangup");
        Assert.Equal(["call.initiated", "call.answered", "call.speak.started", "call.speak.ended", "call.playback.started", "call.playback.ended", "call.hangup"],
            events.Select(e => e.EventType));
        Assert.Equal(("call_hangup", "https://example.com/hold.mp3"), (events[5].Payload.GetProperty("status").GetString(), events[5].Payload.GetProperty("media_url").GetString()));
    }

    [Fact]
    public async Task A_speak_cut_short_ends_completed_and_a_playback_cut_short_ends_cancelled_as_the_specs_enums_allow()
    {
        // An hour's lifecycle delay on a clock that does not move: nothing ends on its own, every end is a cut.
        await _platform.DisposeAsync();
        await StartPlatformAsync(TimeSpan.FromHours(1), new FakeTimeProvider(DateTimeOffset.UtcNow));
        var (id, session) = await AnsweredInboundCallAsync();

        await CommandAsync(id, "speak", new JsonObject { ["payload"] = "Hello", ["voice"] = "female" });
        await CommandAsync(id, "playback_start", new JsonObject { ["audio_url"] = "https://example.com/hold.mp3" });
        await CommandAsync(id, "speak", new JsonObject { ["payload"] = "Welcome", ["voice"] = "female" });
        await CommandAsync(id, "gather_using_speak", new JsonObject { ["payload"] = "Press 1", ["voice"] = "female" });
        await CommandAsync(id, "hangup");

        var events = await EventsAsync(session, "call.hangup");
        Assert.Equal(["call.speak.started", "call.speak.ended", "call.playback.started", "call.playback.ended", "call.speak.started", "call.speak.ended", "call.gather.ended", "call.hangup"],
            events.SkipWhile(e => e.EventType != "call.speak.started").Select(e => e.EventType));
        string? Status(SinkRequest e) => e.Payload.GetProperty("status").GetString();
        Assert.Equal(["completed", "completed"], events.Where(e => e.EventType == "call.speak.ended").Select(Status));
        Assert.Equal("cancelled", Status(events.Single(e => e.EventType == "call.playback.ended")));
        Assert.Equal("call_hangup", Status(events.Single(e => e.EventType == "call.gather.ended")));
    }

    [Fact]
    public async Task Commands_are_refused_with_telnyx_errors_and_a_repeated_command_id_does_nothing_twice()
    {
        var call = await DialAsync("+13125550199");
        var id = call.GetProperty("call_control_id").GetString()!;
        var session = call.GetProperty("call_session_id").GetString()!;
        await EventsAsync(session, "call.answered");

        var (unsupported, unsupportedJson) = await _platform.SendAsync(HttpMethod.Post, $"/v2/calls/{Uri.EscapeDataString(id)}/actions/fork_start", "{}");
        var (notRinging, _) = await _platform.SendAsync(HttpMethod.Post, $"/v2/calls/{Uri.EscapeDataString(id)}/actions/answer", "{}");
        var (noFormat, noFormatJson) = await _platform.SendAsync(HttpMethod.Post, $"/v2/calls/{Uri.EscapeDataString(id)}/actions/record_start", """{"channels":"single"}""");
        Assert.Equal(422, unsupported);
        Assert.Contains("does not support", unsupportedJson.GetProperty("errors")[0].GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(422, notRinging);
        Assert.Equal((422, "/format"), (noFormat, noFormatJson.GetProperty("errors")[0].GetProperty("source").GetProperty("pointer").GetString()));

        await CommandAsync(id, "hangup", new JsonObject { ["command_id"] = "bye-1" });
        await CommandAsync(id, "hangup", new JsonObject { ["command_id"] = "bye-1" });
        var (ended, endedJson) = await _platform.SendAsync(HttpMethod.Post, $"/v2/calls/{Uri.EscapeDataString(id)}/actions/hangup", "{}");
        Assert.Equal((422, "90018", "Call has already ended"), (ended, endedJson.GetProperty("errors")[0].GetProperty("code").GetString(), endedJson.GetProperty("errors")[0].GetProperty("title").GetString()));
        await EventsAsync(session, "call.hangup");
        Assert.Single(_sink.Received, e => e.CallSessionId == session && e.EventType == "call.hangup");
    }

    [Fact]
    public async Task A_calls_stored_record_does_not_grow_with_its_command_ids()
    {
        var call = await DialAsync("+13125550199");
        var id = call.GetProperty("call_control_id").GetString()!;
        await EventsAsync(call.GetProperty("call_session_id").GetString()!, "call.answered");
        // What the call heard is kept up to a bound (for the dashboard): filled first, only command ids could grow the record.
        for (var i = 0; i < Switchboard.Platform.Calls.CallPrompt.Kept; i++)
        {
            await CommandAsync(id, "speak", new JsonObject { ["payload"] = "hi" });
        }

        await CommandAsync(id, "speak", new JsonObject { ["payload"] = "hi", ["command_id"] = "speak-0" });
        var afterOne = (await _platform.ResourceBodyAsync("call", id)).Length;

        for (var i = 1; i <= 40; i++)
        {
            await CommandAsync(id, "speak", new JsonObject { ["payload"] = "hi", ["command_id"] = $"speak-{i}-{new string('x', 200)}" });
        }

        Assert.InRange((await _platform.ResourceBodyAsync("call", id)).Length, 0, afterOne + 100);
        await CommandAsync(id, "hangup", new JsonObject { ["command_id"] = "speak-0" }); // seen within the window: nothing happens
        Assert.True((await _platform.GetAsync($"/v2/calls/{Uri.EscapeDataString(id)}")).GetProperty("is_alive").GetBoolean());
    }

    [Fact]
    public async Task A_command_id_is_remembered_for_telnyxs_60_seconds_and_then_forgotten()
    {
        await _platform.DisposeAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await StartPlatformAsync(TimeSpan.FromHours(1), clock);
        var id = (await DialAsync("+13125550199")).GetProperty("call_control_id").GetString()!;
        var path = $"/v2/calls/{Uri.EscapeDataString(id)}/actions/hangup";
        await CommandAsync(id, "hangup", new JsonObject { ["command_id"] = "bye" });

        clock.Advance(TimeSpan.FromSeconds(59));
        var (withinWindow, _) = await _platform.SendAsync(HttpMethod.Post, path, new JsonObject { ["command_id"] = "bye" });
        clock.Advance(TimeSpan.FromSeconds(2));
        var (afterWindow, afterJson) = await _platform.SendAsync(HttpMethod.Post, path, new JsonObject { ["command_id"] = "bye" });

        Assert.Equal(200, withinWindow);
        Assert.True(afterWindow == 422, $"a command_id past the window acts again (and finds the call ended): {afterWindow} {afterJson}");
    }

    [Fact]
    public async Task A_bad_dial_is_refused_with_a_pointer_and_sends_nothing()
    {
        var (badConnection, badConnectionJson) = await _platform.SendAsync(HttpMethod.Post, "/v2/calls",
            new JsonObject { ["connection_id"] = "no-such-app", ["from"] = Number, ["to"] = "+13125550199" });
        var (notOnApp, notOnAppJson) = await _platform.SendAsync(HttpMethod.Post, "/v2/calls",
            new JsonObject { ["connection_id"] = _application, ["from"] = "+18445559999", ["to"] = "+13125550199" });
        var (badState, badStateJson) = await _platform.SendAsync(HttpMethod.Post, "/v2/calls",
            new JsonObject { ["connection_id"] = _application, ["from"] = Number, ["to"] = "+13125550199", ["client_state"] = "not base64!" });

        Assert.Equal((422, "/connection_id", "10017"), (badConnection, Pointer(badConnectionJson), badConnectionJson.GetProperty("errors")[0].GetProperty("code").GetString()));
        Assert.Equal((422, "/from"), (notOnApp, Pointer(notOnAppJson)));
        Assert.Equal((422, "/client_state"), (badState, Pointer(badStateJson)));
        Assert.Equal(0, await _platform.CountResourcesAsync("call"));
        Assert.Empty(_sink.Received);

        static string? Pointer(JsonElement json) => json.GetProperty("errors")[0].GetProperty("source").GetProperty("pointer").GetString();
    }

    [Fact]
    public async Task A_repeated_dial_command_id_returns_the_same_call()
    {
        var first = await DialAsync("+13125550199", new JsonObject { ["command_id"] = "dial-once" });
        var second = await DialAsync("+13125550199", new JsonObject { ["command_id"] = "dial-once" });

        Assert.Equal(first.GetProperty("call_control_id").GetString(), second.GetProperty("call_control_id").GetString());
        Assert.Equal(1, await _platform.CountResourcesAsync("call"));
    }

    [Fact]
    public async Task A_dial_command_id_repeated_after_the_call_has_moved_on_still_returns_the_same_call()
    {
        var first = await DialAsync("+13125550199", new JsonObject { ["command_id"] = "dial-once" });
        await EventsAsync(first.GetProperty("call_session_id").GetString()!, "call.answered");

        var second = await DialAsync("+13125550199", new JsonObject { ["command_id"] = "dial-once" });

        Assert.Equal(first.GetProperty("call_control_id").GetString(), second.GetProperty("call_control_id").GetString());
        Assert.Equal(1, await _platform.CountResourcesAsync("call"));
    }

    [Fact]
    public async Task The_applications_webhook_timeout_applies_to_its_calls_webhooks()
    {
        // The attempt's timeout runs on the platform's clock while the sink answers late in real time: the system clock.
        await _platform.DisposeAsync();
        await StartPlatformAsync(TimeSpan.FromMilliseconds(50), clock: null);
        await _platform.OkAsync(HttpMethod.Patch, $"/v2/call_control_applications/{_application}", new JsonObject { ["webhook_timeout_secs"] = 1 });
        _sink.Respond = _ => new SinkResponse { Delay = TimeSpan.FromMilliseconds(1500) };

        var call = await DialAsync("+13125550113");
        var initiated = (await EventsAsync(call.GetProperty("call_session_id").GetString()!, "call.initiated"))[0];

        await Eventually.TrueAsync(async () => (await _platform.GetAsync($"/v2/webhook_deliveries/{initiated.EventId}")).GetProperty("attempts").GetArrayLength() > 0, "the first attempt to be logged");
        var first = (await _platform.GetAsync($"/v2/webhook_deliveries/{initiated.EventId}")).GetProperty("attempts")[0];
        Assert.Equal("timeout", first.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("1000 ms", first.GetProperty("error").GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private async Task<(string Id, string Session)> AnsweredInboundCallAsync(string from = "+13125550160")
    {
        var call = await _platform.PostAsync("/_switchboard/inbound_calls", new JsonObject { ["from"] = from, ["to"] = Number });
        var (id, session) = (call.GetProperty("call_control_id").GetString()!, call.GetProperty("call_session_id").GetString()!);
        await CommandAsync(id, "answer");
        await EventsAsync(session, "call.answered");
        return (id, session);
    }

    private static string FarEnd(string id, string what) => $"/_switchboard/calls/{Uri.EscapeDataString(id)}/{what}";

    [Fact]
    public async Task The_far_end_presses_keys_one_event_each_and_hangs_up_through_the_escaped_id()
    {
        var (id, session) = await AnsweredInboundCallAsync();
        Assert.Contains("%3A", FarEnd(id, "dtmf"), StringComparison.Ordinal);

        await _platform.PostAsync(FarEnd(id, "dtmf"), new JsonObject { ["digits"] = "1*#A9D" });
        await UntilAsync(() => _sink.Received.Count(r => r.CallSessionId == session && r.EventType == "call.dtmf.received") == 6, "six key presses");
        var pressed = _sink.Received.Where(r => r.CallSessionId == session && r.EventType == "call.dtmf.received").ToList();
        Assert.Equal(["1", "*", "#", "A", "9", "D"], pressed.Select(e => e.Payload.GetProperty("digit").GetString()));
        Assert.All(pressed, e => Assert.Equal((id, "+13125550160", Number), (e.Payload.GetProperty("call_control_id").GetString(),
            e.Payload.GetProperty("from").GetString(), e.Payload.GetProperty("to").GetString())));
        Assert.Equal(6, pressed.Select(e => e.EventId).Distinct().Count());

        await _platform.PostAsync(FarEnd(id, "hangup"), new JsonObject());
        var hangup = (await EventsAsync(session, "call.hangup")).Single(e => e.EventType == "call.hangup").Payload;
        Assert.Equal(("normal_clearing", "caller"), (hangup.GetProperty("hangup_cause").GetString(), hangup.GetProperty("hangup_source").GetString()));

        // An ended call answers 90018 to the far end too; an unknown one 404.
        var (pressEnded, pressEndedJson) = await _platform.SendAsync(HttpMethod.Post, FarEnd(id, "dtmf"), new JsonObject { ["digits"] = "1" });
        var (hangupEnded, hangupEndedJson) = await _platform.SendAsync(HttpMethod.Post, FarEnd(id, "hangup"), new JsonObject());
        var (unknown, _) = await _platform.SendAsync(HttpMethod.Post, FarEnd("v3:no-such-call", "dtmf"), new JsonObject { ["digits"] = "1" });
        Assert.Equal((422, "90018"), (pressEnded, pressEndedJson.GetProperty("errors")[0].GetProperty("code").GetString()));
        Assert.Equal((422, "90018"), (hangupEnded, hangupEndedJson.GetProperty("errors")[0].GetProperty("code").GetString()));
        Assert.Equal(404, unknown);
    }

    [Theory]
    [InlineData("12E")]
    [InlineData("a")]
    [InlineData("1 2")]
    [InlineData("")]
    public async Task Keys_a_keypad_does_not_have_are_refused_in_telnyxs_error_shape_and_press_nothing(string digits)
    {
        var (id, session) = await AnsweredInboundCallAsync();

        var (status, json) = await _platform.SendAsync(HttpMethod.Post, FarEnd(id, "dtmf"), new JsonObject { ["digits"] = digits });
        var (missing, missingJson) = await _platform.SendAsync(HttpMethod.Post, FarEnd(id, "dtmf"), new JsonObject());

        Assert.Equal((422, "/digits"), (status, json.GetProperty("errors")[0].GetProperty("source").GetProperty("pointer").GetString()));
        Assert.False(string.IsNullOrEmpty(json.GetProperty("errors")[0].GetProperty("code").GetString()));
        Assert.Equal((422, "/digits"), (missing, missingJson.GetProperty("errors")[0].GetProperty("source").GetProperty("pointer").GetString()));
        await _platform.PostAsync(FarEnd(id, "dtmf"), new JsonObject { ["digits"] = "5" });
        await UntilAsync(() => _sink.Received.Any(r => r.CallSessionId == session && r.EventType == "call.dtmf.received"), "the valid press");
        Assert.Equal(["5"], _sink.Received.Where(r => r.CallSessionId == session && r.EventType == "call.dtmf.received").Select(e => e.Payload.GetProperty("digit").GetString()));
    }

    [Fact]
    public async Task A_ringing_call_cannot_take_key_presses_and_its_caller_hanging_up_cancels_it()
    {
        var call = await _platform.PostAsync("/_switchboard/inbound_calls", new JsonObject { ["from"] = "+13125550161", ["to"] = Number });
        var id = call.GetProperty("call_control_id").GetString()!;

        var (press, _) = await _platform.SendAsync(HttpMethod.Post, FarEnd(id, "dtmf"), new JsonObject { ["digits"] = "1" });
        await _platform.PostAsync(FarEnd(id, "hangup"), new JsonObject());

        Assert.Equal(422, press);
        var events = await EventsAsync(call.GetProperty("call_session_id").GetString()!, "call.hangup");
        Assert.Equal(["call.initiated", "call.hangup"], events.Select(e => e.EventType));
        Assert.Equal(("originator_cancel", "caller"), (events[1].Payload.GetProperty("hangup_cause").GetString(), events[1].Payload.GetProperty("hangup_source").GetString()));
    }
}
