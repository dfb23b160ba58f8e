using System.Text.Json;

namespace Switchboard.Events.Tests;

/// <summary>Each of the nine seed events, as Telnyx sends it, parses and reads through its typed payload.</summary>
public sealed class EventFixtureTests
{
    public static TheoryData<string> NineEventTypes => [.. EventTypes.All];

    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    [MemberData(nameof(NineEventTypes))]
    public void Envelope_fields_are_read(string eventType)
    {
        var envelope = Fixtures.Load(eventType);
        var expected = Fixtures.Json(Fixtures.Bytes(eventType)).GetProperty("data");

        Assert.Equal(eventType, envelope.Data.EventType);
        Assert.True(envelope.Data.IsKnownType);
        Assert.Equal(expected.GetProperty("id").GetString(), envelope.Data.Id);
        Assert.Equal(expected.GetProperty("occurred_at").GetDateTimeOffset(), envelope.Data.OccurredAt);
        Assert.Equal("event", envelope.Data.RecordType);
        Assert.Equal(JsonValueKind.Object, envelope.Data.Payload.ValueKind);
        Assert.True(JsonElement.DeepEquals(expected.GetProperty("payload"), envelope.Data.Payload));
        Assert.NotNull(envelope.Meta);
        Assert.InRange(envelope.Meta.Attempt, 1, 5);
        Assert.StartsWith("https://", envelope.Meta.DeliveredTo, StringComparison.Ordinal);
        Assert.Null(envelope.AdditionalProperties);
        Assert.Null(envelope.Data.AdditionalProperties);
    }

    [Theory]
    [MemberData(nameof(NineEventTypes))]
    public void Payload_deserialises_to_the_type_EventTypes_names(string eventType)
    {
        var data = Fixtures.Load(eventType).Data;
        var payloadType = EventTypes.PayloadTypeOf(eventType);

        Assert.NotNull(payloadType);
        var typed = data.Payload.Deserialize(EventsJsonContext.Default.GetTypeInfo(payloadType)!);
        Assert.IsType(payloadType, typed);
    }

    [Fact]
    public void Message_sent()
    {
        var envelope = Fixtures.Load(EventTypes.MessageSent);
        var payload = envelope.Data.GetPayload<MessagePayload>()!;

        Assert.Equal(At("2025-10-24T18:10:02.574Z"), envelope.Data.OccurredAt);
        Assert.Equal("40317e4b-8c3e-4b3a-9b0a-3c3b5a6e1f20", payload.Id);
        Assert.Equal("message", payload.RecordType);
        Assert.Equal("outbound", payload.Direction);
        Assert.Equal("SMS", payload.Type);
        Assert.Equal("+18445550001", payload.From?.PhoneNumber);
        Assert.Equal("Telnyx", payload.From?.Carrier);
        Assert.Equal("Wireless", payload.From?.LineType);
        var to = Assert.Single(payload.To!);
        Assert.Equal("+18665550001", to.PhoneNumber);
        Assert.Equal(MessageStatuses.Sent, to.Status);
        Assert.Equal("T-MOBILE USA, INC.", to.Carrier);
        Assert.Empty(payload.Cc!);
        Assert.Empty(payload.Media!);
        Assert.Empty(payload.Errors!);
        Assert.Equal("Hello!", payload.Text);
        Assert.Null(payload.Subject);
        Assert.Equal("400174b4-1a17-4a4b-8c2f-4d1e35b2e5a1", payload.MessagingProfileId);
        Assert.Equal("b0a1a3e4-4c1a-4ad8-a3b9-0b9c8f1e2d3c", payload.OrganizationId);
        Assert.Equal(1, payload.Parts);
        Assert.Equal("GSM-7", payload.Encoding);
        Assert.Equal("0.0040", payload.Cost?.Amount);
        Assert.Equal("USD", payload.Cost?.Currency);
        Assert.Equal(At("2025-10-24T18:10:02.101Z"), payload.ReceivedAt);
        Assert.Equal(At("2025-10-24T18:10:02.574Z"), payload.SentAt);
        Assert.Null(payload.CompletedAt);
        Assert.Equal(At("2025-10-24T19:10:02.101Z"), payload.ValidUntil);
        Assert.Equal("https://example.com/webhooks/telnyx", payload.WebhookUrl);
        Assert.Equal("https://backup.example.com/webhooks/telnyx", payload.WebhookFailoverUrl);
        Assert.Equal(["spring-campaign"], payload.Tags!);
        Assert.Null(payload.AdditionalProperties);
    }

    [Fact]
    public void Message_delivered()
    {
        var payload = Fixtures.Load(EventTypes.MessageDelivered).Data.GetPayload<MessagePayload>()!;

        Assert.Equal(MessageStatuses.Delivered, Assert.Single(payload.To!).Status);
        Assert.Equal(At("2025-10-24T18:10:05.123Z"), payload.CompletedAt);
        Assert.Equal(At("2025-10-24T18:10:02.574Z"), payload.SentAt);
    }

    [Fact]
    public void Message_failed()
    {
        var envelope = Fixtures.Load(EventTypes.MessageFailed);
        var payload = envelope.Data.GetPayload<MessagePayload>()!;

        Assert.Equal(2, envelope.Meta!.Attempt);
        Assert.Equal("https://backup.example.com/webhooks/telnyx", envelope.Meta.DeliveredTo);
        Assert.Equal(MessageStatuses.DeliveryFailed, Assert.Single(payload.To!).Status);
        var error = Assert.Single(payload.Errors!);
        Assert.Equal("10004", error.Code);
        Assert.Equal("Invalid destination", error.Title);
        Assert.Equal("The destination number is not reachable", error.Detail);
    }

    [Fact]
    public void Message_received()
    {
        var payload = Fixtures.Load(EventTypes.MessageReceived).Data.GetPayload<MessagePayload>()!;

        Assert.Equal("inbound", payload.Direction);
        Assert.Equal("MMS", payload.Type);
        Assert.Equal("+18665550001", payload.From?.PhoneNumber);
        Assert.Equal("+18445550001", Assert.Single(payload.To!).PhoneNumber);
        Assert.Equal("Hello back!", payload.Text);
        Assert.Equal("Look", payload.Subject);
        Assert.Equal(At("2025-10-24T18:15:00Z"), payload.ReceivedAt);
        Assert.Null(payload.ValidUntil);
        Assert.Null(payload.WebhookFailoverUrl);
        var media = Assert.Single(payload.Media!);
        Assert.Equal("https://media.example.com/7c6b5a49/cat.jpg", media.Url);
        Assert.Equal("image/jpeg", media.ContentType);
        Assert.Equal("1f9e6a1ac3fbd39b2a7cf2c4a8d2f0c3c1e9a0b7d6e5f4a3b2c1d0e9f8a7b6c5", media.Sha256);
        Assert.Equal(48213, media.Size);
    }

    [Fact]
    public void Message_finalized()
    {
        var payload = Fixtures.Load(EventTypes.MessageFinalized).Data.GetPayload<MessagePayload>()!;

        Assert.Equal(MessageStatuses.Delivered, Assert.Single(payload.To!).Status);
        Assert.Equal(2, payload.Parts);
        Assert.Equal(74, payload.NumChars);
        Assert.Equal("UCS-2", payload.Encoding);
        Assert.Equal("Ol\u00e1! Your order #1234 has shipped \U0001F69A and will arrive Thursday. Reply STOP", payload.Text);
    }

    [Fact]
    public void Call_initiated()
    {
        var envelope = Fixtures.Load(EventTypes.CallInitiated);
        var payload = envelope.Data.GetPayload<CallInitiatedPayload>()!;

        Assert.Equal(new DateTimeOffset(2025, 10, 24, 18, 20, 27, TimeSpan.Zero).AddTicks(5_219_920), envelope.Data.OccurredAt);
        Assert.Equal("v3:MdI91X4lWFEs7IgbBEOT9M4AigoY08M0WWZFISt1Yw2axZ_IiE4pqg", payload.CallControlId);
        Assert.Equal("2dc6fc34-f9e0-11ea-b68e-02420a0f7768", payload.CallLegId);
        Assert.Equal("2dc1b3c8-f9e0-11ea-bc5a-02420a0f7768", payload.CallSessionId);
        Assert.Equal("1684641123236054244", payload.ConnectionId);
        Assert.Equal("have a nice day =]", System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(payload.ClientState!)));
        Assert.Equal("+18665550001", payload.From);
        Assert.Equal("+18445550001", payload.To);
        Assert.Equal("incoming", payload.Direction);
        Assert.Equal("parked", payload.State);
        Assert.Equal(envelope.Data.OccurredAt, payload.StartTime);
        Assert.Equal("+18665550001", payload.CallerIdName);
        var header = Assert.Single(payload.CustomHeaders!);
        Assert.Equal(("X-Ticket", "42"), (header.Name, header.Value));
        Assert.Equal(["support-line"], payload.Tags!);
    }

    [Fact]
    public void Call_answered()
    {
        var payload = Fixtures.Load(EventTypes.CallAnswered).Data.GetPayload<CallAnsweredPayload>()!;

        Assert.Equal("answered", payload.State);
        Assert.Equal(new DateTimeOffset(2025, 10, 24, 18, 20, 27, TimeSpan.Zero).AddTicks(5_219_920), payload.StartTime);
        Assert.Equal("v3:MdI91X4lWFEs7IgbBEOT9M4AigoY08M0WWZFISt1Yw2axZ_IiE4pqg", payload.CallControlId);
    }

    [Fact]
    public void Call_hangup()
    {
        var payload = Fixtures.Load(EventTypes.CallHangup).Data.GetPayload<CallHangupPayload>()!;

        Assert.Equal(HangupCauses.NormalClearing, payload.HangupCause);
        Assert.Equal("caller", payload.HangupSource);
        Assert.Equal("200", payload.SipHangupCause);
        Assert.Equal("hangup", payload.State);
        Assert.NotNull(payload.StartTime);
        // call_quality_stats is not modelled: it is kept, not dropped.
        var stats = Assert.Contains("call_quality_stats", payload.AdditionalProperties!);
        Assert.Equal("4.49", stats.GetProperty("inbound").GetProperty("mos").GetString());
    }

    [Fact]
    public void Call_recording_saved()
    {
        var payload = Fixtures.Load(EventTypes.CallRecordingSaved).Data.GetPayload<CallRecordingSavedPayload>()!;

        Assert.Null(payload.CallControlId);
        Assert.Equal("2dc6fc34-f9e0-11ea-b68e-02420a0f7768", payload.CallLegId);
        Assert.Equal("dual", payload.Channels);
        Assert.Equal("https://recordings.example.com/2dc6fc34.mp3?X-Amz-Expires=600", payload.RecordingUrls?.Mp3);
        Assert.Equal("https://recordings.example.com/2dc6fc34.wav?X-Amz-Expires=600", payload.RecordingUrls?.Wav);
        Assert.Equal("https://recordings.example.com/public/2dc6fc34.mp3", payload.PublicRecordingUrls?.Mp3);
        Assert.Equal("https://recordings.example.com/public/2dc6fc34.wav", payload.PublicRecordingUrls?.Wav);
        Assert.Equal(At("2025-10-24T18:20:31.200Z"), payload.RecordingStartedAt);
        Assert.Equal(At("2025-10-24T18:22:01.100Z"), payload.RecordingEndedAt);
    }

    [Fact]
    public void The_wrong_payload_type_still_reads_the_shared_fields()
    {
        var payload = Fixtures.Load(EventTypes.CallHangup).Data.GetPayload<CallAnsweredPayload>()!;
        Assert.Equal("hangup", payload.State);
        Assert.Contains("hangup_cause", payload.AdditionalProperties!);
    }

    [Fact]
    public void Payload_that_is_not_an_object_gives_null_rather_than_throwing()
    {
        var data = Fixtures.Parse("""{"data":{"event_type":"message.sent","id":"x","payload":[1,2]}}""").Data;
        Assert.Null(data.GetPayload<MessagePayload>());
        var missing = Fixtures.Parse("""{"data":{"event_type":"message.sent","id":"x"}}""").Data;
        Assert.Null(missing.GetPayload<MessagePayload>());
    }

    [Fact]
    public void EventTypes_lists_the_nine_seed_events_once_each()
    {
        Assert.Equal(9, EventTypes.All.Count);
        Assert.Equal(9, EventTypes.All.Distinct().Count());
        Assert.All(EventTypes.All, t => Assert.True(EventTypes.IsKnown(t)));
        Assert.Equal(typeof(MessagePayload), EventTypes.PayloadTypeOf(EventTypes.MessageFinalized));
        Assert.Equal(typeof(CallRecordingSavedPayload), EventTypes.PayloadTypeOf(EventTypes.CallRecordingSaved));
        Assert.False(EventTypes.IsKnown("Message.Sent"));
    }
}
