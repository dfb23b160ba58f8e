using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Switchboard.Events.Tests;

/// <summary>What Switchboard writes: snake_case names, timestamps as ISO 8601 UTC with exactly three decimals.</summary>
public sealed partial class WireFormatTests
{
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")]
    private static partial Regex MillisecondsUtc();

    private static string WrittenOccurredAt(DateTimeOffset occurredAt)
    {
        var data = WebhookEvent.Create(EventTypes.MessageSent, "id-1", occurredAt, new MessagePayload());
        return JsonNode.Parse(data.ToUtf8Bytes())!["occurred_at"]!.GetValue<string>();
    }

    [Theory]
    [InlineData("2025-10-24T18:10:02.574Z", "2025-10-24T18:10:02.574Z")]
    [InlineData("2025-10-24T18:10:02Z", "2025-10-24T18:10:02.000Z")]
    [InlineData("2025-10-24T20:10:02.574+02:00", "2025-10-24T18:10:02.574Z")]
    [InlineData("2025-10-24T13:10:02.5-05:00", "2025-10-24T18:10:02.500Z")]
    [InlineData("2025-10-25T03:40:02.574+09:30", "2025-10-24T18:10:02.574Z")]
    [InlineData("2025-10-24T18:10:02.5749999Z", "2025-10-24T18:10:02.574Z")]
    [InlineData("2025-01-01T00:00:00.000Z", "2025-01-01T00:00:00.000Z")]
    [InlineData("2024-12-31T23:30:00-01:00", "2025-01-01T00:30:00.000Z")]
    public void OccurredAt_is_written_as_utc_with_exactly_three_decimals(string input, string expected)
    {
        var written = WrittenOccurredAt(DateTimeOffset.Parse(input, CultureInfo.InvariantCulture));

        Assert.Equal(expected, written);
        Assert.Matches(MillisecondsUtc(), written);
    }

    [Theory]
    [InlineData("2025-10-24T18:10:02.574+00:00", "2025-10-24T18:10:02.574Z")]
    [InlineData("2025-10-24T18:10:02.521992Z", "2025-10-24T18:10:02.521Z")]
    [InlineData("2025-10-24T20:10:02+02:00", "2025-10-24T18:10:02.000Z")]
    public void OccurredAt_read_in_any_ISO_form_is_written_back_normalised(string onTheWire, string expected)
    {
        var envelope = Fixtures.Parse("""{"data":{"event_type":"message.sent","id":"x","occurred_at":""" + $"\"{onTheWire}\"" + "}}");
        Assert.Equal(expected, JsonNode.Parse(envelope.ToUtf8Bytes())!["data"]!["occurred_at"]!.GetValue<string>());
    }

    [Fact]
    public void Payload_timestamps_use_the_same_format()
    {
        var offset = TimeSpan.FromHours(-7);
        var payload = new MessagePayload
        {
            SentAt = new DateTimeOffset(2025, 10, 24, 11, 10, 2, offset),
            CompletedAt = new DateTimeOffset(2025, 10, 24, 11, 10, 5, 123, offset),
        };
        var written = JsonNode.Parse(JsonSerializer.SerializeToUtf8Bytes(payload, EventsJsonContext.Default.MessagePayload))!;

        Assert.Equal("2025-10-24T18:10:02.000Z", (string?)written["sent_at"]);
        Assert.Equal("2025-10-24T18:10:05.123Z", (string?)written["completed_at"]);
        Assert.Null(written["valid_until"]);
    }

    [Fact]
    public void Names_on_the_wire_are_snake_case_and_nulls_are_left_out()
    {
        var envelope = new WebhookEnvelope
        {
            Data = WebhookEvent.Create(EventTypes.CallRecordingSaved, "id-1", DateTimeOffset.UnixEpoch, new CallRecordingSavedPayload
            {
                CallLegId = "leg",
                RecordingUrls = new RecordingUrls { Mp3 = "https://x/1.mp3" },
                PublicRecordingUrls = new RecordingUrls { Wav = "https://x/1.wav" },
                RecordingStartedAt = DateTimeOffset.UnixEpoch,
            }),
            Meta = new WebhookMeta { Attempt = 3, DeliveredTo = "https://example.com/hook" },
        };

        var json = JsonNode.Parse(envelope.ToUtf8Bytes())!.AsObject();

        Assert.Equal(["data", "meta"], json.Select(p => p.Key));
        Assert.Equal(["event_type", "id", "occurred_at", "payload", "record_type"], json["data"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(["attempt", "delivered_to"], json["meta"]!.AsObject().Select(p => p.Key));
        Assert.Equal(["call_leg_id", "public_recording_urls", "recording_started_at", "recording_urls"], json["data"]!["payload"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("1970-01-01T00:00:00.000Z", (string?)json["data"]!["payload"]!["recording_started_at"]);
        Assert.Equal("event", (string?)json["data"]!["record_type"]);
    }

    [Fact]
    public void Message_payload_field_names_match_telnyx()
    {
        var payload = new MessagePayload
        {
            Id = "m",
            Direction = "outbound",
            Type = "SMS",
            From = new MessageAddress { PhoneNumber = "+1", Carrier = "c", LineType = "Wireless" },
            To = [new MessageAddress { PhoneNumber = "+2", Status = MessageStatuses.Queued }],
            Cc = [],
            Text = "t",
            Subject = "s",
            Media = [new MessageMedia { Url = "u", ContentType = "image/png", Sha256 = "h", Size = 1 }],
            MessagingProfileId = "p",
            OrganizationId = "o",
            Parts = 1,
            Encoding = "GSM-7",
            NumChars = 1,
            Cost = new MessageCost { Amount = "0.0040", Currency = "USD" },
            Errors = [new MessageError { Code = "1", Title = "t", Detail = "d" }],
            ReceivedAt = DateTimeOffset.UnixEpoch,
            SentAt = DateTimeOffset.UnixEpoch,
            CompletedAt = DateTimeOffset.UnixEpoch,
            ValidUntil = DateTimeOffset.UnixEpoch,
            WebhookUrl = "w",
            WebhookFailoverUrl = "f",
            Tags = ["x"],
        };

        var json = JsonNode.Parse(JsonSerializer.SerializeToUtf8Bytes(payload, EventsJsonContext.Default.MessagePayload))!.AsObject();

        Assert.Equal(
            new[]
            {
                "cc", "completed_at", "cost", "direction", "encoding", "errors", "from", "id", "media", "messaging_profile_id",
                "num_chars", "organization_id", "parts", "received_at", "record_type", "sent_at", "subject", "tags", "text", "to",
                "type", "valid_until", "webhook_failover_url", "webhook_url",
            },
            json.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(["phone_number", "carrier", "line_type"], json["from"]!.AsObject().Select(p => p.Key));
        Assert.Equal(["url", "content_type", "sha256", "size"], json["media"]![0]!.AsObject().Select(p => p.Key));
        Assert.Equal("0.0040", (string?)json["cost"]!["amount"]);
        Assert.Equal("message", (string?)json["record_type"]);
    }

    [Fact]
    public void Call_payload_field_names_match_telnyx()
    {
        var hangup = new CallHangupPayload
        {
            CallControlId = "c", CallLegId = "l", CallSessionId = "s", ConnectionId = "n", ClientState = "cs", From = "+1", To = "+2",
            HangupCause = HangupCauses.UserBusy, HangupSource = "callee", SipHangupCause = "486", StartTime = DateTimeOffset.UnixEpoch,
        };
        var initiated = new CallInitiatedPayload { CallerIdName = "n", CustomHeaders = [new CallCustomHeader { Name = "X", Value = "1" }] };

        var hangupJson = JsonNode.Parse(JsonSerializer.SerializeToUtf8Bytes(hangup, EventsJsonContext.Default.CallHangupPayload))!.AsObject();
        var initiatedJson = JsonNode.Parse(JsonSerializer.SerializeToUtf8Bytes(initiated, EventsJsonContext.Default.CallInitiatedPayload))!.AsObject();

        Assert.Equal(
            new[]
            {
                "call_control_id", "call_leg_id", "call_session_id", "client_state", "connection_id", "from", "hangup_cause",
                "hangup_source", "sip_hangup_cause", "start_time", "state", "to",
            },
            hangupJson.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("hangup", (string?)hangupJson["state"]);
        Assert.Equal(["caller_id_name", "custom_headers"], initiatedJson.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(["name", "value"], initiatedJson["custom_headers"]![0]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public void Event_without_a_payload_is_written_without_one()
    {
        var data = new WebhookEvent { EventType = "call.speak.ended", Id = "x", OccurredAt = DateTimeOffset.UnixEpoch };

        var json = JsonNode.Parse(data.ToUtf8Bytes())!.AsObject();

        Assert.Equal(["event_type", "id", "occurred_at", "record_type"], json.Select(p => p.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Bodies_escape_only_what_JSON_requires_as_Telnyx_bodies_do()
    {
        var payload = new MessagePayload
        {
            From = new MessageAddress { PhoneNumber = "+18445550001" },
            Text = "Caf\u00e9 <b>&'+ \"quoted\" back\\slash \u0001",
        };
        var data = WebhookEvent.Create(EventTypes.MessageSent, "id-1", DateTimeOffset.UnixEpoch, payload);
        var envelope = new WebhookEnvelope { Data = data, Meta = new WebhookMeta { Attempt = 1, DeliveredTo = "https://example.com/hook?a=1&b=2" } };

        foreach (var body in new[] { envelope.ToUtf8Bytes(), EnvelopeWriter.Write(data.ToUtf8Bytes(), 1, "https://example.com/hook?a=1&b=2") })
        {
            var text = System.Text.Encoding.UTF8.GetString(body);
            Assert.Contains("\"phone_number\":\"+18445550001\"", text, StringComparison.Ordinal);
            Assert.Contains("\"text\":\"Caf\u00e9 <b>&'+ \\\"quoted\\\" back\\\\slash \\u0001\"", text, StringComparison.Ordinal);
            Assert.Contains("\"delivered_to\":\"https://example.com/hook?a=1&b=2\"", text, StringComparison.Ordinal);
            Assert.Equal(payload.Text, Fixtures.Parse(body).Data.GetPayload<MessagePayload>()!.Text);
        }
    }
}
