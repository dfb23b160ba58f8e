using System.Buffers;
using System.Text.Json;

namespace Switchboard.Events.Tests;

/// <summary>EnvelopeWriter wraps the stored data JSON, byte for byte, with a fresh meta for each attempt.</summary>
public sealed class EnvelopeWriterTests
{
    public static TheoryData<string> NineEventTypes => [.. EventTypes.All];

    [Theory]
    [MemberData(nameof(NineEventTypes))]
    public void Output_parses_back_with_the_same_data_and_the_given_meta(string eventType)
    {
        var stored = Fixtures.Load(eventType).Data.ToUtf8Bytes();

        var body = EnvelopeWriter.Write(stored, attempt: 3, "https://example.com/hooks?tenant=a&x=\"y\"");

        var envelope = Fixtures.Parse(body);
        Assert.Equal(3, envelope.Meta!.Attempt);
        Assert.Equal("https://example.com/hooks?tenant=a&x=\"y\"", envelope.Meta.DeliveredTo);
        Assert.Equal(eventType, envelope.Data.EventType);
        Assert.True(JsonElement.DeepEquals(Fixtures.Json(stored), Fixtures.Json(body).GetProperty("data")));
        Assert.Equal(stored, envelope.Data.ToUtf8Bytes());
    }

    [Fact]
    public void Data_bytes_are_copied_unchanged()
    {
        var stored = """{ "event_type" : "message.sent", "id":"x",  "payload": {"text": "caf\u00e9 <b>"} }"""u8.ToArray();

        var body = EnvelopeWriter.Write(stored, 1, "https://example.com/");

        Assert.True(body.AsSpan().IndexOf(stored) >= 0, "the stored data must appear in the body byte for byte");
        Assert.StartsWith("{\"data\":", System.Text.Encoding.UTF8.GetString(body), StringComparison.Ordinal);
        Assert.EndsWith(",\"meta\":{\"attempt\":1,\"delivered_to\":\"https://example.com/\"}}", System.Text.Encoding.UTF8.GetString(body), StringComparison.Ordinal);
    }

    [Fact]
    public void Each_attempt_differs_only_in_meta()
    {
        var stored = SampleEvents.Create(EventTypes.MessageSent, TimeProvider.System).ToUtf8Bytes();

        var first = Fixtures.Parse(EnvelopeWriter.Write(stored, 1, "https://primary.example.com/"));
        var second = Fixtures.Parse(EnvelopeWriter.Write(stored, 2, "https://failover.example.com/"));

        Assert.Equal(first.Data.Id, second.Data.Id);
        Assert.Equal((1, "https://primary.example.com/"), (first.Meta!.Attempt, first.Meta.DeliveredTo));
        Assert.Equal((2, "https://failover.example.com/"), (second.Meta!.Attempt, second.Meta.DeliveredTo));
    }

    [Fact]
    public void Buffer_writer_overload_writes_the_same_bytes()
    {
        var stored = Fixtures.Load(EventTypes.CallHangup).Data.ToUtf8Bytes();
        var buffer = new ArrayBufferWriter<byte>();

        EnvelopeWriter.Write(buffer, stored, 4, "https://example.com/");

        Assert.Equal(EnvelopeWriter.Write(stored, 4, "https://example.com/"), buffer.WrittenSpan.ToArray());
    }
}
