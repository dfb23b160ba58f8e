using System.Text.Json;
using Microsoft.Extensions.Time.Testing;

namespace Switchboard.Events.Tests;

/// <summary>SampleEvents: realistic events of every known type, fresh ids, the given clock's time.</summary>
public sealed class SampleEventsTests
{
    private static readonly DateTimeOffset Now = new(2025, 10, 24, 18, 10, 2, 574, TimeSpan.Zero);

    public static TheoryData<string> NineEventTypes => [.. EventTypes.All];

    [Theory]
    [MemberData(nameof(NineEventTypes))]
    public void Creates_an_event_of_each_type_at_the_clock_time(string eventType)
    {
        var sample = SampleEvents.Create(eventType, new FakeTimeProvider(Now));

        Assert.Equal(eventType, sample.EventType);
        Assert.Equal(Now, sample.OccurredAt);
        Assert.Equal("event", sample.RecordType);
        Assert.True(Guid.TryParse(sample.Id, out _), $"id '{sample.Id}' is not a UUID");
        Assert.Equal(JsonValueKind.Object, sample.Payload.ValueKind);
        var typed = sample.Payload.Deserialize(EventsJsonContext.Default.GetTypeInfo(EventTypes.PayloadTypeOf(eventType)!)!);
        Assert.NotNull(typed);
    }

    [Theory]
    [MemberData(nameof(NineEventTypes))]
    public void Ids_are_fresh_on_every_call(string eventType)
    {
        var time = new FakeTimeProvider(Now);
        var first = SampleEvents.Create(eventType, time);
        var second = SampleEvents.Create(eventType, time);

        Assert.NotEqual(first.Id, second.Id);
        if (first.Payload.TryGetProperty("id", out var firstPayloadId))
        {
            Assert.NotEqual(firstPayloadId.GetString(), second.Payload.GetProperty("id").GetString());
        }

        if (first.Payload.TryGetProperty("call_leg_id", out var firstLeg))
        {
            Assert.NotEqual(firstLeg.GetString(), second.Payload.GetProperty("call_leg_id").GetString());
        }
    }

    [Theory]
    [MemberData(nameof(NineEventTypes))]
    public void Sample_survives_a_serialise_parse_round_trip(string eventType)
    {
        var envelope = new WebhookEnvelope
        {
            Data = SampleEvents.Create(eventType, new FakeTimeProvider(Now)),
            Meta = new WebhookMeta { Attempt = 1, DeliveredTo = "https://example.com/" },
        };

        var parsed = Fixtures.Parse(envelope.ToUtf8Bytes());

        Assert.Equal(envelope.Data.Id, parsed.Data.Id);
        Assert.Equal(Now, parsed.Data.OccurredAt);
        Assert.True(JsonElement.DeepEquals(envelope.Data.Payload, parsed.Data.Payload));
    }

    [Fact]
    public void Time_moves_with_the_clock()
    {
        var time = new FakeTimeProvider(Now);
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(Now.AddMinutes(5), SampleEvents.Create(EventTypes.CallAnswered, time).OccurredAt);
    }

    [Fact]
    public void Message_samples_carry_the_status_their_event_implies()
    {
        var time = new FakeTimeProvider(Now);
        string StatusOf(string eventType) => SampleEvents.Create(eventType, time).GetPayload<MessagePayload>()!.To![0].Status!;

        Assert.Equal(MessageStatuses.Sent, StatusOf(EventTypes.MessageSent));
        Assert.Equal(MessageStatuses.Delivered, StatusOf(EventTypes.MessageDelivered));
        Assert.Equal(MessageStatuses.DeliveryFailed, StatusOf(EventTypes.MessageFailed));
        Assert.Equal(MessageStatuses.Delivered, StatusOf(EventTypes.MessageFinalized));
        Assert.NotEmpty(SampleEvents.Create(EventTypes.MessageFailed, time).GetPayload<MessagePayload>()!.Errors!);
        Assert.Equal("inbound", SampleEvents.Create(EventTypes.MessageReceived, time).GetPayload<MessagePayload>()!.Direction);
    }

    [Fact]
    public void Call_samples_look_like_telnyx_calls()
    {
        var time = new FakeTimeProvider(Now);
        var hangup = SampleEvents.Create(EventTypes.CallHangup, time).GetPayload<CallHangupPayload>()!;
        var recording = SampleEvents.Create(EventTypes.CallRecordingSaved, time).GetPayload<CallRecordingSavedPayload>()!;

        Assert.Equal("hangup", hangup.State);
        Assert.NotNull(hangup.HangupCause);
        Assert.StartsWith("v3:", hangup.CallControlId, StringComparison.Ordinal);
        Assert.Null(recording.CallControlId);
        Assert.NotNull(recording.RecordingUrls?.Mp3);
        Assert.True(recording.RecordingStartedAt < recording.RecordingEndedAt);
    }

    [Theory]
    [InlineData("call.speak.ended")]
    [InlineData("")]
    [InlineData("MESSAGE.SENT")]
    public void Unknown_type_throws_ArgumentException_listing_the_known_ones(string eventType)
    {
        var error = Assert.Throws<ArgumentException>(() => SampleEvents.Create(eventType, TimeProvider.System));
        Assert.Contains("message.sent", error.Message, StringComparison.Ordinal);
        Assert.Contains("call.recording.saved", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Null_clock_is_refused() =>
        Assert.Throws<ArgumentNullException>(() => SampleEvents.Create(EventTypes.MessageSent, null!));

    [Fact]
    public void User_agent_names_switchboard_and_its_version()
    {
        Assert.StartsWith($"Switchboard/{ProductInfo.Version}", ProductInfo.UserAgent, StringComparison.Ordinal);
        Assert.DoesNotContain("+", ProductInfo.Version, StringComparison.Ordinal);
    }
}
