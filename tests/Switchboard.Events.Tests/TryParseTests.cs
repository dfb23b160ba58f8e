using System.Text;
using System.Text.Json.Nodes;
using CsCheck;

namespace Switchboard.Events.Tests;

/// <summary>
/// TryParse turns any body into an envelope or a reason; it never throws. WebhookSummary.TryParse, the receiver's
/// lighter read, agrees with it on every body here.
/// </summary>
public sealed class TryParseTests
{
    private static string Rejects(byte[] body)
    {
        var ok = WebhookEnvelope.TryParse(body, out var envelope, out var error);
        Assert.False(ok, "expected the body to be rejected");
        Assert.Null(envelope);
        Assert.False(string.IsNullOrWhiteSpace(error), "a rejection must say why");
        SummaryAgrees(body);
        return error;
    }

    /// <summary>
    /// The summary accepts what the full parse accepts, with the same identity, and refuses what it refuses for the
    /// same reason (the serializer's own message names the type it was reading, which differs, so only its kind is compared).
    /// </summary>
    private static void SummaryAgrees(byte[] body)
    {
        var full = WebhookEnvelope.TryParse(body, out var envelope, out var fullError);
        var lean = WebhookSummary.TryParse(body, out var summary, out var leanError);
        Assert.True(full == lean, $"full parse {(full ? "accepted" : $"refused ({fullError})")}, summary {(lean ? "accepted" : $"refused ({leanError})")}: {Encoding.UTF8.GetString(body)}");
        if (full)
        {
            Assert.Equal(new WebhookSummary(envelope!.Data.Id, envelope.Data.EventType, envelope.Data.OccurredAt), summary);
        }
        else if (fullError!.StartsWith("malformed JSON", StringComparison.Ordinal))
        {
            Assert.StartsWith("malformed JSON", leanError, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(fullError, leanError);
        }
    }

    private static string Rejects(string body) => Rejects(Encoding.UTF8.GetBytes(body));

    [Theory]
    [InlineData("", "JSON")]
    [InlineData("   ", "JSON")]
    [InlineData("hello", "JSON")]
    [InlineData("<xml/>", "JSON")]
    [InlineData("[]", "not a JSON object")]
    [InlineData("""[{"data":{"event_type":"message.sent","id":"x"}}]""", "not a JSON object")]
    [InlineData("42", "not a JSON object")]
    [InlineData("\"data\"", "not a JSON object")]
    [InlineData("null", "not a JSON object")]
    [InlineData("true", "not a JSON object")]
    [InlineData("{}", "no data object")]
    [InlineData("""{"meta":{"attempt":1}}""", "no data object")]
    [InlineData("""{"data":null}""", "no data object")]
    [InlineData("""{"data":{"event_type":"message.sent"}}""", "data.id is missing")]
    [InlineData("""{"data":{"event_type":"message.sent","id":""}}""", "data.id is missing or empty")]
    [InlineData("""{"data":{"event_type":"message.sent","id":null}}""", "data.id is missing or empty")]
    [InlineData("""{"data":{"id":"x"}}""", "data.event_type is missing")]
    [InlineData("""{"data":{"id":"x","event_type":""}}""", "data.event_type is missing or empty")]
    [InlineData("""{"data":{}}""", "missing")]
    [InlineData("""{"data":{"event_type":"message.sent","id":"a\nb"}}""", "data.id contains control or format characters")]
    [InlineData("""{"data":{"event_type":"message.sent","id":"a\u0000b"}}""", "data.id contains control or format characters")]
    [InlineData("""{"data":{"event_type":"message.sent","id":"a\u007fb"}}""", "data.id contains control or format characters")]
    [InlineData("""{"data":{"event_type":"message.sent\r\nfake: line","id":"x"}}""", "data.event_type contains control or format characters")]
    [InlineData("""{"data":{"event_type":"message.sent","id":"a\u0085b"}}""", "data.id contains control or format characters")] // NEL (C1)
    [InlineData("""{"data":{"event_type":"message.sent","id":"a\u009b31mb"}}""", "data.id contains control or format characters")] // 8-bit CSI
    [InlineData("""{"data":{"event_type":"message.sent","id":"a\u202eb"}}""", "data.id contains control or format characters")] // bidi override
    [InlineData("""{"data":{"event_type":"message.sent","id":"a\u2066b"}}""", "data.id contains control or format characters")] // bidi isolate
    [InlineData("""{"data":{"event_type":"message.sent","id":"a\u200bb"}}""", "data.id contains control or format characters")] // zero-width space
    [InlineData("""{"data":{"event_type":"message.sent","id":"a\ufeffb"}}""", "data.id contains control or format characters")] // BOM
    [InlineData("""{"data":{"event_type":"message.sent","id":"a\udb40\udc01b"}}""", "data.id contains control or format characters")] // U+E0001, a Cf past the BMP
    [InlineData("""{"data":{"event_type":"message.sent\u2028","id":"x"}}""", "data.event_type contains control or format characters")] // line separator
    [InlineData("""{"data":{"event_type":"message.sent\u2029","id":"x"}}""", "data.event_type contains control or format characters")] // paragraph separator
    public void Rejects_with_a_reason(string body, string reason) =>
        Assert.Contains(reason, Rejects(body), StringComparison.Ordinal);

    [Theory]
    [InlineData(60, true)]
    [InlineData(10_000, false)]
    public void A_deeply_nested_payload_is_refused_without_throwing_past_the_serializers_depth_limit(int depth, bool accepted)
    {
        var body = "{\"data\":{\"id\":\"x\",\"event_type\":\"message.sent\",\"payload\":" + new string('[', depth) + new string(']', depth) + "}}";
        if (accepted)
        {
            Assert.True(WebhookEnvelope.TryParse(Encoding.UTF8.GetBytes(body), out _, out var error), error);
            SummaryAgrees(Encoding.UTF8.GetBytes(body));
        }
        else
        {
            Assert.Contains("depth", Rejects(body), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("id", "a", 255, true)]
    [InlineData("id", "a", 256, false)]
    [InlineData("event_type", "a", 255, true)]
    [InlineData("event_type", "a", 256, false)]
    [InlineData("id", "\u00e9", 127, true)] // 254 bytes
    [InlineData("id", "\u00e9", 128, false)] // 128 characters, 256 bytes
    [InlineData("event_type", "\u20ac", 86, false)] // 86 characters, 258 bytes
    public void The_id_and_event_type_are_at_most_255_UTF8_bytes(string member, string unit, int count, bool accepted)
    {
        var data = new JsonObject { ["id"] = "x", ["event_type"] = "message.sent" };
        data[member] = string.Concat(Enumerable.Repeat(unit, count));
        var body = new JsonObject { ["data"] = data }.ToJsonString();
        if (accepted)
        {
            Assert.True(WebhookEnvelope.TryParse(Encoding.UTF8.GetBytes(body), out _, out var error), error);
        }
        else
        {
            Assert.Contains($"data.{member} is longer than 255 bytes (UTF-8)", Rejects(body), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("""{"data":[]}""")]
    [InlineData("""{"data":"message.sent"}""")]
    [InlineData("""{"data":1}""")]
    [InlineData("""{"data":true}""")]
    public void Rejects_data_that_is_not_an_object(string body) =>
        Assert.Contains("data", Rejects(body), StringComparison.Ordinal);

    [Theory]
    [InlineData("""{"data":{"event_type":"message.sent","id":"x"}""")] // truncated
    [InlineData("""{"data":{"event_type":"message.sent","id":"x"}} trailing""")]
    [InlineData("""{"data":{"event_type":"message.sent","id":"x",}}""")] // trailing comma
    [InlineData("""{'data':{}}""")]
    [InlineData("""{"data":{"event_type":"message.sent","id":42}}""")]
    [InlineData("""{"data":{"event_type":"message.sent","id":"x","occurred_at":"yesterday"}}""")]
    [InlineData("""{"data":{"event_type":"message.sent","id":"x"},"meta":{"attempt":"one"}}""")]
    [InlineData("""{"data":{"event_type":"message.sent","id":"x"},"meta":[]}""")]
    public void Rejects_malformed_json(string body) =>
        Assert.Contains("JSON", Rejects(body), StringComparison.Ordinal);

    [Fact]
    public void Rejects_invalid_utf8() =>
        Rejects([.. "{\"data\":{\"event_type\":\"message.sent\",\"id\":\""u8, 0xff, 0xfe, .. "\"}}"u8]);

    [Fact]
    public void Rejects_deeply_nested_garbage()
    {
        Rejects(new string('[', 100_000));
        Rejects(new string('{', 100_000));
        Rejects("{\"data\":" + new string('[', 10_000) + new string(']', 10_000) + "}");
        Rejects("{\"data\":{\"id\":\"x\",\"event_type\":\"y\",\"payload\":" + string.Concat(Enumerable.Repeat("{\"a\":", 5_000)) + "1" + new string('}', 5_000) + "}}");
        Rejects("{\"x\":" + string.Concat(Enumerable.Repeat("{\"a\":", 5_000)) + "1" + new string('}', 5_000) + "}");
    }

    [Fact]
    public void The_summary_of_every_sample_event_is_its_identity()
    {
        foreach (var type in EventTypes.All)
        {
            var body = Fixtures.Bytes(type);
            SummaryAgrees(body);
            Assert.True(WebhookSummary.TryParse(body, out var summary, out _));
            Assert.Equal(type, summary.EventType);
        }
    }

    [Theory]
    [InlineData("""{"data":{"event_type":"message.sent","id":"x","record_type":5}}""")]
    [InlineData("""{"data":{"event_type":"message.sent","id":"x"},"meta":{"delivered_to":{}}}""")]
    [InlineData("""{"data":{"event_type":"message.sent","id":"x","payload":{"to":[}}}""")]
    [InlineData("""{"data":{"event_type":"message.sent","id":"x","occurred_at":"2025-10-24T18:10:02.574Z","payload":null,"extra":[1,{"a":null}]},"meta":null,"x":1}""")]
    [InlineData("""{"data":{"event_type":"message.sent","id":"x"},"data":{"event_type":"message.sent"}}""")]
    public void The_summary_agrees_on_typed_members_and_skipped_values(string body) => SummaryAgrees(Encoding.UTF8.GetBytes(body));

    [Fact]
    public void Accepts_the_minimum()
    {
        Assert.True(WebhookEnvelope.TryParse("""{"data":{"event_type":"message.sent","id":"x"}}"""u8, out var envelope, out _));
        Assert.Null(envelope.Meta);
        Assert.Equal(default, envelope.Data.OccurredAt);
        Assert.Equal(System.Text.Json.JsonValueKind.Undefined, envelope.Data.Payload.ValueKind);
    }

    [Fact]
    public void Rejects_a_byte_order_mark_with_a_reason() =>
        Assert.Contains("JSON", Rejects([0xEF, 0xBB, 0xBF, .. """{"data":{"event_type":"message.sent","id":"x"}}"""u8]), StringComparison.Ordinal);

    [Theory]
    [InlineData("{}as")]
    [InlineData("{} {")]
    [InlineData("""{"data":{"id":"x"}} garbage""")]
    [InlineData("""{"data":{"id":"x"},"meta":{"attempt":""")]
    [InlineData("""{"data":{"event_type":"message.sent"},"x":]""")]
    public void Rejects_an_object_missing_required_fields_followed_by_garbage(string body) =>
        Assert.Contains("malformed JSON", Rejects(body), StringComparison.Ordinal);

    private static readonly Gen<string> JsonishText = Gen.String[Gen.Char["{}[]\":,0123456789.-eE truefalsnl\\dataidevent_typ"], 0, 200];

    [Fact]
    public void Never_throws_on_random_bytes() =>
        Gen.Byte.Array[0, 512].Sample(bytes =>
        {
            if (!WebhookEnvelope.TryParse(bytes, out _, out var error))
            {
                Assert.False(string.IsNullOrEmpty(error));
            }

            SummaryAgrees(bytes);
        }, iter: 2000);

    [Fact]
    public void Never_throws_on_random_json_like_text() =>
        JsonishText.Sample(text =>
        {
            if (!WebhookEnvelope.TryParse(Encoding.UTF8.GetBytes(text), out var envelope, out var error))
            {
                Assert.False(string.IsNullOrEmpty(error));
            }
            else
            {
                Assert.False(string.IsNullOrEmpty(envelope.Data.Id));
            }

            SummaryAgrees(Encoding.UTF8.GetBytes(text));
        }, iter: 5000);

    [Fact]
    public void Never_throws_on_mutations_of_a_real_webhook()
    {
        var original = Fixtures.Bytes(EventTypes.MessageSent);
        Gen.Select(Gen.Int[0, original.Length - 1], Gen.Byte, Gen.Int[0, 3]).Array[1, 5].Sample(edits =>
        {
            var body = new List<byte>(original);
            foreach (var (position, value, kind) in edits)
            {
                var at = Math.Min(position, body.Count - 1);
                switch (kind)
                {
                    case 0: body[at] = value; break;
                    case 1: body.RemoveAt(at); break;
                    case 2: body.Insert(at, value); break;
                    default: body.RemoveRange(at, body.Count - at); break;
                }

                if (body.Count == 0)
                {
                    break;
                }
            }

            _ = WebhookEnvelope.TryParse(body.ToArray(), out _, out _);
            SummaryAgrees([.. body]);
        }, iter: 2000);
    }
}
