using System.Text.Json;
using System.Text.Json.Nodes;

namespace Switchboard.Events.Tests;

/// <summary>Telnyx adds event types and fields; a receiver keeps what it does not know instead of rejecting it.</summary>
public sealed class ForwardCompatibilityTests
{
    private const string ConversationEnded = """
        {
          "data": {
            "event_type": "call.conversation.ended",
            "id": "7d8e9f00-1a2b-4c3d-8e4f-5a6b7c8d9e0f",
            "occurred_at": "2025-10-24T18:21:00.000Z",
            "payload": {
              "call_control_id": "v3:abc",
              "client_state": null,
              "status": "completed"
            },
            "record_type": "event"
          },
          "meta": { "attempt": 1, "delivered_to": "https://example.com/webhooks/calls" }
        }
        """;

    /// <summary>A message.sent with a field Switchboard does not model at every level, nested ones included.</summary>
    private const string WithUnknownFields = """
        {
          "data": {
            "event_type": "message.sent",
            "id": "b301ed3f-1490-491f-995f-6e64e69674d4",
            "occurred_at": "2025-10-24T18:10:02.574Z",
            "payload": {
              "id": "40317e4b-8c3e-4b3a-9b0a-3c3b5a6e1f20",
              "text": "Hello!",
              "to": [ { "phone_number": "+18665550001", "status": "sent", "future_to_field": { "x": [1, 2, 3] } } ],
              "from": { "phone_number": "+18445550001", "future_from_field": true },
              "cost": { "amount": "0.0040", "currency": "USD", "future_cost_field": 0.5 },
              "future_payload_field": "payload-level"
            },
            "record_type": "event",
            "future_data_field": [ "data-level" ]
          },
          "meta": { "attempt": 1, "delivered_to": "https://example.com/hook", "future_meta_field": 42 },
          "future_envelope_field": { "nested": "envelope-level" }
        }
        """;

    [Fact]
    public void Unknown_event_type_parses_and_its_payload_is_reachable()
    {
        var envelope = Fixtures.Parse(ConversationEnded);

        Assert.Equal("call.conversation.ended", envelope.Data.EventType);
        Assert.False(envelope.Data.IsKnownType);
        Assert.Null(EventTypes.PayloadTypeOf(envelope.Data.EventType));
        Assert.Equal(JsonValueKind.Object, envelope.Data.Payload.ValueKind);
        Assert.Equal("completed", envelope.Data.Payload.GetProperty("status").GetString());
        Assert.Equal("v3:abc", envelope.Data.GetPayload<CallPayload>()?.CallControlId);
    }

    [Fact]
    public void Unknown_event_type_round_trips_unchanged_in_meaning()
    {
        var envelope = Fixtures.Parse(ConversationEnded);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(ConversationEnded), JsonNode.Parse(envelope.ToUtf8Bytes())));
    }

    [Fact]
    public void Unknown_fields_are_reachable_at_every_level()
    {
        var envelope = Fixtures.Parse(WithUnknownFields);

        Assert.Equal("envelope-level", envelope.AdditionalProperties!["future_envelope_field"].GetProperty("nested").GetString());
        Assert.Equal("data-level", envelope.Data.AdditionalProperties!["future_data_field"][0].GetString());
        Assert.Equal(42, envelope.Meta!.AdditionalProperties!["future_meta_field"].GetInt32());
        Assert.Equal("payload-level", envelope.Data.Payload.GetProperty("future_payload_field").GetString());

        var payload = envelope.Data.GetPayload<MessagePayload>()!;
        Assert.Equal("payload-level", payload.AdditionalProperties!["future_payload_field"].GetString());
        Assert.Equal(3, payload.To![0].AdditionalProperties!["future_to_field"].GetProperty("x").GetArrayLength());
        Assert.True(payload.From!.AdditionalProperties!["future_from_field"].GetBoolean());
        Assert.Equal(0.5, payload.Cost!.AdditionalProperties!["future_cost_field"].GetDouble());
    }

    [Fact]
    public void Unknown_fields_survive_parse_then_serialise()
    {
        var output = JsonNode.Parse(Fixtures.Parse(WithUnknownFields).ToUtf8Bytes())!;

        Assert.Equal("envelope-level", (string?)output["future_envelope_field"]!["nested"]);
        Assert.Equal("data-level", (string?)output["data"]!["future_data_field"]![0]);
        Assert.Equal(42, (int?)output["meta"]!["future_meta_field"]);
        Assert.Equal("payload-level", (string?)output["data"]!["payload"]!["future_payload_field"]);
        Assert.Equal(3, output["data"]!["payload"]!["to"]![0]!["future_to_field"]!["x"]!.AsArray().Count);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(WithUnknownFields), output));
    }

    [Fact]
    public void Unknown_fields_survive_the_typed_payload_too()
    {
        var payload = Fixtures.Parse(WithUnknownFields).Data.GetPayload<MessagePayload>()!;
        var rebuilt = WebhookEvent.Create(EventTypes.MessageSent, "id-1", DateTimeOffset.UnixEpoch, payload);

        var written = JsonNode.Parse(rebuilt.ToUtf8Bytes())!["payload"]!;

        Assert.Equal("payload-level", (string?)written["future_payload_field"]);
        Assert.True((bool?)written["from"]!["future_from_field"]);
        Assert.Equal(0.5, (double?)written["cost"]!["future_cost_field"]);
        Assert.Equal(3, written["to"]![0]!["future_to_field"]!["x"]!.AsArray().Count);
    }

    [Fact]
    public void A_known_field_with_an_unexpected_shape_in_an_unknown_event_does_not_break_parsing()
    {
        var envelope = Fixtures.Parse("""{"data":{"event_type":"call.dtmf.received","id":"x","payload":{"digit":"5","to":["a","b"]}}}""");
        Assert.Equal("5", envelope.Data.Payload.GetProperty("digit").GetString());
    }
}
