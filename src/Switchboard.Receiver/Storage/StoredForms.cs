using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Switchboard.Receiver.Storage;

/// <summary>
/// One request as stored. The body is the work item's payload, exactly as received: its text (so the inspector can
/// search it), or base64 when it is not UTF-8 (only a rejected request can be). This record, the item's context, says
/// everything else.
/// </summary>
internal sealed record StoredRequest
{
    private const string Base64 = "base64";

    public string? EventId { get; init; }
    public string? EventType { get; init; }
    public DateTimeOffset? OccurredAt { get; init; }
    public required DateTimeOffset ReceivedAt { get; init; }
    /// <summary><c>accepted</c>, <c>duplicate</c> or <c>rejected</c>.</summary>
    public required string Outcome { get; init; }
    public required int HttpStatus { get; init; }
    /// <summary><c>valid</c>, <c>unverified</c> or a verification failure code.</summary>
    public required string Verification { get; init; }
    /// <summary>Why the request was rejected (a problem reason), or the verification detail.</summary>
    public string? Reason { get; init; }
    public string? Detail { get; init; }
    public string? RemoteAddress { get; init; }
    public required IReadOnlyList<string[]> Headers { get; init; }
    /// <summary>The length of the body as received; more than the stored body when only a prefix was kept (a rejected request), or none was. Null when unknown (a chunked body turned away unread).</summary>
    public long? BodyLength { get; init; }
    /// <summary><c>base64</c> when the payload is the body in base64; absent when it is the body's text.</summary>
    public string? BodyEncoding { get; init; }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The payload for <paramref name="body"/>, and the <see cref="BodyEncoding"/> it needs.</summary>
    public static (string Payload, string? Encoding) EncodeBody(ReadOnlySpan<byte> body)
    {
        try
        {
            return (StrictUtf8.GetString(body), null);
        }
        catch (DecoderFallbackException)
        {
            return (Convert.ToBase64String(body), Base64);
        }
    }

    /// <summary>The body's bytes from the payload stored beside this record.</summary>
    public byte[] DecodeBody(string payload) => BodyEncoding == Base64 ? Convert.FromBase64String(payload) : Encoding.UTF8.GetBytes(payload);

    public string ToJson() => JsonSerializer.Serialize(this, ReceiverJsonContext.Default.StoredRequest);

    public static StoredRequest? FromJson(string? json) => json is null ? null : StoredJson.TryRead(json, ReceiverJsonContext.Default.StoredRequest);
}

/// <summary>An attempt log entry of an inbox item: one handler's run.</summary>
internal sealed record HandlerRunDetail(string Handler, bool Ok, string? Error = null)
{
    public string ToJson() => JsonSerializer.Serialize(this, ReceiverJsonContext.Default.HandlerRunDetail);

    public static HandlerRunDetail? FromJson(string json) => StoredJson.TryRead(json, ReceiverJsonContext.Default.HandlerRunDetail);
}

internal static class StoredJson
{
    /// <summary>Null for text that is not what we stored (a row written by hand, another version): never throws.</summary>
    public static T? TryRead<T>(string json, JsonTypeInfo<T> typeInfo) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(json, typeInfo);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StoredRequest))]
[JsonSerializable(typeof(HandlerRunDetail))]
[JsonSerializable(typeof(OrderPosition))]
[JsonSerializable(typeof(Ingest.IngestAnswer))]
internal sealed partial class ReceiverJsonContext : JsonSerializerContext;
