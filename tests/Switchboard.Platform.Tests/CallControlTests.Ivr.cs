using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Platform.Tests.Support;

namespace Switchboard.Platform.Tests;

/// <summary>What an IVR needs: gathers, key presses, send_dtmf, transfer, bridge, answering machine detection.</summary>
public sealed partial class CallControlTests
{
    private IReadOnlyList<SinkRequest> Of(string session, string eventType) =>
        [.. _sink.Received.Where(r => r.CallSessionId == session && r.EventType == eventType)];

    private Task PressAsync(string id, string digits) => _platform.PostAsync(FarEnd(id, "dtmf"), new JsonObject { ["digits"] = digits });

    private static (string? Digits, string? Status) Ended(SinkRequest gatherEnded) =>
        (gatherEnded.Payload.GetProperty("digits").GetString(), gatherEnded.Payload.GetProperty("status").GetString());

    /// <summary>The fake clock's step where a test moves it itself: the gathers' waits are whole quarter seconds.</summary>
    private static readonly TimeSpan Quarter = TimeSpan.FromMilliseconds(250);

    private static string Code(JsonElement error) => error.GetProperty("errors")[0].GetProperty("code").GetString()!;

    private static string? Pointer(JsonElement error) => error.GetProperty("errors")[0].GetProperty("source").GetProperty("pointer").GetString();

    [Fact]
    public async Task A_spoken_menu_gathers_keys_up_to_the_terminating_digit_which_it_leaves_out_and_sends_no_speak_events()
    {
        var (id, session) = await AnsweredInboundCallAsync();

        await CommandAsync(id, "gather_using_speak", new JsonObject { ["payload"] = "Press 1 for sales", ["voice"] = "female", ["minimum_digits"] = 1, ["maximum_digits"] = 4 });
        await PressAsync(id, "12#");

        var events = await EventsAsync(session, "call.gather.ended");
        Assert.Equal(["call.initiated", "call.answered", "call.dtmf.received", "call.dtmf.received", "call.dtmf.received", "call.gather.ended"], events.Select(e => e.EventType));
        Assert.Equal(("12", "valid"), Ended(events[^1]));
        Assert.Equal((id, "+13125550160", Number), (events[^1].Payload.GetProperty("call_control_id").GetString(),
            events[^1].Payload.GetProperty("from").GetString(), events[^1].Payload.GetProperty("to").GetString()));
    }

    [Fact]
    public async Task An_audio_menu_plays_its_prompt_until_a_key_interrupts_it_and_ends_at_maximum_digits()
    {
        await _platform.DisposeAsync();
        await StartPlatformAsync(TimeSpan.FromSeconds(1), new FakeTimeProvider(DateTimeOffset.UtcNow)); // the prompt lasts two seconds: the key comes during it
        var (id, session) = await AnsweredInboundCallAsync();

        await CommandAsync(id, "gather_using_audio", new JsonObject { ["audio_url"] = "https://example.com/menu.mp3", ["maximum_digits"] = 2 });
        await EventsAsync(session, "call.playback.started");
        await PressAsync(id, "47");

        var events = await EventsAsync(session, "call.gather.ended");
        Assert.Equal(["call.initiated", "call.answered", "call.playback.started", "call.dtmf.received", "call.playback.ended", "call.dtmf.received", "call.gather.ended"],
            events.Select(e => e.EventType));
        Assert.Equal(("https://example.com/menu.mp3", "cancelled"), (events[4].Payload.GetProperty("media_url").GetString(), events[4].Payload.GetProperty("status").GetString()));
        Assert.Equal(("47", "valid"), Ended(events[^1]));
    }

    [Fact]
    public async Task A_key_outside_valid_digits_ends_the_gather_invalid_after_its_last_try()
    {
        var (id, session) = await AnsweredInboundCallAsync();

        await CommandAsync(id, "gather_using_speak", new JsonObject { ["payload"] = "1, 2 or 3", ["voice"] = "female", ["valid_digits"] = "123", ["maximum_tries"] = 2 });
        await PressAsync(id, "9");
        await PressAsync(id, "4");

        var ended = Assert.Single(await EventsAsync(session, "call.gather.ended"), e => e.EventType == "call.gather.ended");
        Assert.Equal(("4", "invalid"), Ended(ended));
        Assert.Equal(2, Of(session, "call.dtmf.received").Count);
    }

    [Fact]
    public async Task Fewer_keys_than_minimum_digits_before_the_terminating_digit_are_invalid()
    {
        var (id, session) = await AnsweredInboundCallAsync();

        await CommandAsync(id, "gather", new JsonObject { ["minimum_digits"] = 3, ["terminating_digit"] = "*" });
        await PressAsync(id, "12*");

        Assert.Equal(("12", "invalid"), Ended((await EventsAsync(session, "call.gather.ended"))[^1]));
    }

    [Fact]
    public async Task Gather_stop_cancels_and_a_hangup_ends_a_gather_before_the_calls_hangup()
    {
        var (id, session) = await AnsweredInboundCallAsync();
        await CommandAsync(id, "gather", new JsonObject { ["maximum_digits"] = 5 });
        await PressAsync(id, "3");
        await CommandAsync(id, "gather_stop");
        Assert.Equal(("3", "cancelled"), Ended((await EventsAsync(session, "call.gather.ended"))[^1]));

        await CommandAsync(id, "gather_using_audio", new JsonObject { ["media_name"] = "menu" });
        await _platform.PostAsync(FarEnd(id, "hangup"), new JsonObject());

        var events = await EventsAsync(session, "call.hangup");
        Assert.Equal(["call.playback.started", "call.playback.ended", "call.gather.ended", "call.hangup"], events.SkipWhile(e => e.EventType != "call.playback.started").Select(e => e.EventType));
        Assert.Equal(("", "call_hangup"), Ended(events[^2]));
        Assert.Equal("call_hangup", events[^3].Payload.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_bad_gather_is_refused_with_telnyxs_error_shape_and_starts_nothing()
    {
        var (id, session) = await AnsweredInboundCallAsync();

        var (minOverMax, minOverMaxJson) = await _platform.SendAsync(HttpMethod.Post, $"/v2/calls/{Uri.EscapeDataString(id)}/actions/gather", new JsonObject { ["minimum_digits"] = 5, ["maximum_digits"] = 2 });
        var (tooMany, tooManyJson) = await _platform.SendAsync(HttpMethod.Post, $"/v2/calls/{Uri.EscapeDataString(id)}/actions/gather", new JsonObject { ["maximum_digits"] = 129 });
        var (badValid, badValidJson) = await _platform.SendAsync(HttpMethod.Post, $"/v2/calls/{Uri.EscapeDataString(id)}/actions/gather", new JsonObject { ["valid_digits"] = "12x" });
        var (noAudio, noAudioJson) = await _platform.SendAsync(HttpMethod.Post, $"/v2/calls/{Uri.EscapeDataString(id)}/actions/gather_using_audio", new JsonObject());
        var (noVoice, noVoiceJson) = await _platform.SendAsync(HttpMethod.Post, $"/v2/calls/{Uri.EscapeDataString(id)}/actions/gather_using_speak", new JsonObject { ["payload"] = "Press 1" });
        await PressAsync(id, "1");
        await CommandAsync(id, "hangup");

        Assert.Equal((422, "/minimum_digits"), (minOverMax, Pointer(minOverMaxJson)));
        Assert.Equal((422, "/maximum_digits"), (tooMany, Pointer(tooManyJson)));
        Assert.Equal((422, "/valid_digits"), (badValid, Pointer(badValidJson)));
        Assert.Equal((422, "/audio_url"), (noAudio, Pointer(noAudioJson)));
        Assert.Equal((422, "/voice"), (noVoice, Pointer(noVoiceJson)));
        var events = await EventsAsync(session, "call.hangup");
        Assert.DoesNotContain(events, e => e.EventType == "call.gather.ended");
    }

    [Fact]
    public async Task A_gathers_waits_run_on_the_clock_first_key_then_between_keys_then_in_all()
    {
        await _platform.DisposeAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await StartPlatformAsync(TimeSpan.FromHours(1), clock);
        var (id, session) = await AnsweredInboundCallAsync();
        var gathersEnded = 0;
        Task<TimeSpan> NextEndAsync() => _platform.AdvanceUntilAsync(clock, Quarter, () => Of(session, "call.gather.ended").Count > gathersEnded, "the gather's end");

        // No key within initial_timeout_millis: timeout.
        await CommandAsync(id, "gather", new JsonObject { ["initial_timeout_millis"] = 5000, ["inter_digit_timeout_millis"] = 3000 });
        Assert.InRange(await NextEndAsync(), TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5));
        Assert.Equal(("", "timeout"), Ended(Of(session, "call.gather.ended")[gathersEnded++]));

        // A key, then nothing for inter_digit_timeout_millis: what was pressed, valid (not at the first key's wait).
        await CommandAsync(id, "gather", new JsonObject { ["initial_timeout_millis"] = 5000, ["inter_digit_timeout_millis"] = 3000 });
        clock.Advance(TimeSpan.FromSeconds(4));
        await PressAsync(id, "7");
        Assert.InRange(await NextEndAsync(), TimeSpan.FromSeconds(3), TimeSpan.FromMinutes(5));
        Assert.Equal(("7", "valid"), Ended(Of(session, "call.gather.ended")[gathersEnded++]));

        // Keys coming in time, but timeout_millis gone in all: timeout, with the keys so far.
        await CommandAsync(id, "gather", new JsonObject { ["timeout_millis"] = 6000, ["inter_digit_timeout_millis"] = 30_000 });
        clock.Advance(TimeSpan.FromSeconds(2.5));
        await PressAsync(id, "5");
        clock.Advance(TimeSpan.FromSeconds(2.5));
        await PressAsync(id, "5");
        Assert.InRange(await NextEndAsync(), TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5));
        Assert.Equal(("55", "timeout"), Ended(Of(session, "call.gather.ended")[gathersEnded]));
    }

    [Fact]
    public async Task An_audio_menu_with_no_answer_is_replayed_maximum_tries_times_then_times_out()
    {
        await _platform.DisposeAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await StartPlatformAsync(TimeSpan.FromSeconds(1), clock);
        var (id, session) = await AnsweredInboundCallAsync();

        await CommandAsync(id, "gather_using_audio", new JsonObject { ["audio_url"] = "https://example.com/menu.mp3", ["timeout_millis"] = 4000, ["maximum_tries"] = 2 });
        var moved = await _platform.AdvanceUntilAsync(clock, Quarter, () => Of(session, "call.gather.ended").Count > 0, "the gather's end");

        Assert.InRange(moved, TimeSpan.FromSeconds(12), TimeSpan.FromMinutes(5)); // twice the 2 s prompt and the 4 s wait (no upper bound: the clock runs ahead of a busy pump)
        Assert.Equal(2, Of(session, "call.playback.started").Count);
        Assert.Equal(["completed", "completed"], Of(session, "call.playback.ended").Select(e => e.Payload.GetProperty("status").GetString()));
        Assert.Equal(("", "timeout"), Ended(Of(session, "call.gather.ended")[0]));
    }

    [Fact]
    public async Task A_transfer_dials_a_leg_in_the_same_session_bridges_both_when_it_answers_and_its_hangup_ends_both()
    {
        var (id, session) = await AnsweredInboundCallAsync();

        await CommandAsync(id, "transfer", new JsonObject { ["to"] = "+13125550199", ["target_leg_client_state"] = ClientState });
        await UntilAsync(() => Of(session, "call.bridged").Count == 2, "call.bridged on both legs");
        var bridged = Of(session, "call.bridged");
        var legId = bridged.Select(e => e.Payload.GetProperty("call_control_id").GetString()).Single(leg => leg != id)!;
        var leg = _sink.Received.Where(r => r.CallSessionId == session && r.Payload.GetProperty("call_control_id").GetString() == legId).ToList();
        Assert.Equal(["call.initiated", "call.answered", "call.bridged"], leg.Select(e => e.EventType));
        Assert.Equal(("outgoing", Number, "+13125550199", ClientState), (leg[0].Payload.GetProperty("direction").GetString(), leg[0].Payload.GetProperty("from").GetString(),
            leg[0].Payload.GetProperty("to").GetString(), leg[0].Payload.GetProperty("client_state").GetString()));
        var (busy, _) = await _platform.SendAsync(HttpMethod.Post, $"/v2/calls/{Uri.EscapeDataString(id)}/actions/transfer", new JsonObject { ["to"] = "+13125550198" });
        Assert.Equal(422, busy);

        await _platform.PostAsync(FarEnd(legId, "hangup"), new JsonObject());

        await UntilAsync(() => Of(session, "call.hangup").Count == 2, "both legs hung up");
        var hangups = Of(session, "call.hangup").ToDictionary(e => e.Payload.GetProperty("call_control_id").GetString()!, e => e.Payload);
        Assert.Equal(("normal_clearing", "callee"), (hangups[legId].GetProperty("hangup_cause").GetString(), hangups[legId].GetProperty("hangup_source").GetString()));
        Assert.Equal("normal_clearing", hangups[id].GetProperty("hangup_cause").GetString());
        Assert.False((await _platform.GetAsync($"/v2/calls/{Uri.EscapeDataString(id)}")).GetProperty("is_alive").GetBoolean());
    }

    [Fact]
    public async Task A_transfer_that_is_not_answered_leaves_the_call_and_hanging_up_the_call_cancels_a_ringing_leg()
    {
        var (id, session) = await AnsweredInboundCallAsync();

        await CommandAsync(id, "transfer", new JsonObject { ["to"] = "+13125550111" });
        await EventsAsync(session, "call.hangup");
        Assert.True((await _platform.GetAsync($"/v2/calls/{Uri.EscapeDataString(id)}")).GetProperty("is_alive").GetBoolean());
        Assert.Empty(Of(session, "call.bridged"));

        await CommandAsync(id, "transfer", new JsonObject { ["to"] = "+13125550112", ["timeout_secs"] = 600 });
        await CommandAsync(id, "hangup");
        await UntilAsync(() => Of(session, "call.hangup").Count == 3, "the call and its ringing leg hung up");
        Assert.Contains(Of(session, "call.hangup"), e => e.Payload.GetProperty("hangup_cause").GetString() == "originator_cancel");
    }

    [Fact]
    public async Task A_ringing_inbound_call_can_be_transferred_without_answering_as_telnyxs_forwarding_guide_does()
    {
        var ringing = await _platform.PostAsync("/_switchboard/inbound_calls", new JsonObject { ["from"] = "+13125550162", ["to"] = Number });
        var (id, session) = (ringing.GetProperty("call_control_id").GetString()!, ringing.GetProperty("call_session_id").GetString()!);

        await CommandAsync(id, "transfer", new JsonObject { ["to"] = "+13125550199" });

        await UntilAsync(() => Of(session, "call.bridged").Count == 2, "call.bridged on both legs");
        Assert.Equal(["call.initiated", "call.bridged"], _sink.Received.Where(r => r.CallSessionId == session && r.Payload.GetProperty("call_control_id").GetString() == id).Select(r => r.EventType));
        Assert.True((await _platform.GetAsync($"/v2/calls/{Uri.EscapeDataString(id)}")).GetProperty("is_alive").GetBoolean());
        await _platform.PostAsync(FarEnd(id, "hangup"), new JsonObject());
        await UntilAsync(() => Of(session, "call.hangup").Count == 2, "both legs hung up");
        Assert.All(Of(session, "call.hangup"), e => Assert.Equal("normal_clearing", e.Payload.GetProperty("hangup_cause").GetString()));
    }

    [Fact]
    public async Task A_transfer_to_a_number_that_is_not_e164_is_refused_and_dials_nothing()
    {
        var (id, session) = await AnsweredInboundCallAsync();

        var (status, json) = await _platform.SendAsync(HttpMethod.Post, $"/v2/calls/{Uri.EscapeDataString(id)}/actions/transfer", new JsonObject { ["to"] = "3125550199" });
        var (amd, amdJson) = await _platform.SendAsync(HttpMethod.Post, $"/v2/calls/{Uri.EscapeDataString(id)}/actions/transfer", new JsonObject { ["to"] = "+13125550199", ["answering_machine_detection"] = "premium" });
        await CommandAsync(id, "hangup");

        Assert.Equal((422, "/to"), (status, Pointer(json)));
        Assert.Equal((422, "/answering_machine_detection"), (amd, Pointer(amdJson)));
        Assert.Equal(["call.initiated", "call.answered", "call.hangup"], (await EventsAsync(session, "call.hangup")).Select(e => e.EventType));
    }

    [Fact]
    public async Task Bridge_joins_two_live_calls_send_dtmf_reaches_the_other_and_a_bridge_with_itself_or_an_ended_call_is_refused()
    {
        var (first, firstSession) = await AnsweredInboundCallAsync("+13125550170");
        var (second, secondSession) = await AnsweredInboundCallAsync("+13125550171");
        var (ended, _) = await AnsweredInboundCallAsync("+13125550172");
        await CommandAsync(ended, "hangup");

        var (self, selfJson) = await _platform.SendAsync(HttpMethod.Post, $"/v2/calls/{Uri.EscapeDataString(first)}/actions/bridge", new JsonObject { ["call_control_id"] = first });
        var (withEnded, withEndedJson) = await _platform.SendAsync(HttpMethod.Post, $"/v2/calls/{Uri.EscapeDataString(first)}/actions/bridge", new JsonObject { ["call_control_id"] = ended });
        var (unknown, unknownJson) = await _platform.SendAsync(HttpMethod.Post, $"/v2/calls/{Uri.EscapeDataString(first)}/actions/bridge", new JsonObject { ["call_control_id"] = "v3:nope" });
        Assert.Equal((422, "/call_control_id"), (self, Pointer(selfJson)));
        Assert.Equal((422, "90018"), (withEnded, Code(withEndedJson)));
        Assert.Equal((422, "/call_control_id"), (unknown, Pointer(unknownJson)));

        await CommandAsync(first, "bridge", new JsonObject { ["call_control_id"] = second });
        await EventsAsync(firstSession, "call.bridged");
        await EventsAsync(secondSession, "call.bridged");
        await CommandAsync(second, "gather", new JsonObject { ["maximum_digits"] = 2 });
        await CommandAsync(first, "send_dtmf", new JsonObject { ["digits"] = "4w2" });
        var (badDigits, badDigitsJson) = await _platform.SendAsync(HttpMethod.Post, $"/v2/calls/{Uri.EscapeDataString(first)}/actions/send_dtmf", new JsonObject { ["digits"] = "4x" });
        Assert.Equal((422, "/digits"), (badDigits, Pointer(badDigitsJson)));

        Assert.Equal(("42", "valid"), Ended((await EventsAsync(secondSession, "call.gather.ended"))[^1]));
        Assert.Equal(["4", "2"], Of(secondSession, "call.dtmf.received").Select(e => e.Payload.GetProperty("digit").GetString()));
        Assert.Empty(Of(firstSession, "call.dtmf.received"));

        await CommandAsync(first, "hangup");
        await EventsAsync(secondSession, "call.hangup");
    }

    [Theory]
    [InlineData("+13125550115", "detect_beep", "machine", "beep_detected")]
    [InlineData("+13125550115", "greeting_end", "machine", "ended")]
    [InlineData("+13125550115", "detect", "machine", null)]
    [InlineData("+13125550199", "greeting_end", "human", null)]
    public async Task Answering_machine_detection_on_dial_says_machine_for_5550115_and_human_otherwise(string to, string mode, string result, string? greeting)
    {
        var session = (await DialAsync(to, new JsonObject { ["answering_machine_detection"] = mode })).GetProperty("call_session_id").GetString()!;

        var detection = (await EventsAsync(session, "call.machine.detection.ended")).Single(e => e.EventType == "call.machine.detection.ended");
        Assert.Equal(result, detection.Payload.GetProperty("result").GetString());
        await PassAsync(TimeSpan.FromMilliseconds(500)); // the greeting would have ended after four lifecycle delays
        Assert.Equal(greeting is null ? [] : [greeting], Of(session, "call.machine.greeting.ended").Select(e => e.Payload.GetProperty("result").GetString()));
    }

    [Fact]
    public async Task Answering_machine_detection_on_transfer_runs_on_the_new_leg()
    {
        var (id, session) = await AnsweredInboundCallAsync();

        await CommandAsync(id, "transfer", new JsonObject { ["to"] = "+13125550115", ["answering_machine_detection"] = "detect" });

        var detection = (await EventsAsync(session, "call.machine.detection.ended")).Single(e => e.EventType == "call.machine.detection.ended");
        Assert.Equal("machine", detection.Payload.GetProperty("result").GetString());
        Assert.NotEqual(id, detection.Payload.GetProperty("call_control_id").GetString());
    }

    [Fact]
    public async Task A_calls_status_leaves_out_end_time_while_alive_and_client_state_when_none_and_client_state_update_sets_it()
    {
        var (id, session) = await AnsweredInboundCallAsync();
        var path = $"/v2/calls/{Uri.EscapeDataString(id)}";

        var alive = await _platform.GetAsync(path);
        Assert.False(alive.TryGetProperty("end_time", out _));
        Assert.False(alive.TryGetProperty("client_state", out _));

        var (missing, missingJson) = await _platform.SendAsync(HttpMethod.Put, $"{path}/actions/client_state_update", new JsonObject());
        var (notBase64, _) = await _platform.SendAsync(HttpMethod.Put, $"{path}/actions/client_state_update", new JsonObject { ["client_state"] = "not base64!" });
        Assert.Equal((422, "/client_state"), (missing, Pointer(missingJson)));
        Assert.Equal(422, notBase64);
        await _platform.OkAsync(HttpMethod.Put, $"{path}/actions/client_state_update", new JsonObject { ["client_state"] = ClientState });
        Assert.Equal(ClientState, (await _platform.GetAsync(path)).GetProperty("client_state").GetString());
        await CommandAsync(id, "hangup");

        Assert.Equal(ClientState, (await EventsAsync(session, "call.hangup"))[^1].Payload.GetProperty("client_state").GetString());
        var ended = await _platform.GetAsync(path);
        Assert.True(ended.TryGetProperty("end_time", out var endTime) && endTime.ValueKind == JsonValueKind.String);
        var (afterEnd, afterEndJson) = await _platform.SendAsync(HttpMethod.Put, $"{path}/actions/client_state_update", new JsonObject { ["client_state"] = ClientState });
        Assert.Equal((422, "90018"), (afterEnd, Code(afterEndJson)));
    }
}
