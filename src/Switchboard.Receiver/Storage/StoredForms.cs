using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Switchboard.Receiver.Storage;

/// <summary>
/// One request as stored in a queue's payload (JSON text, so the inspector can search it). The body is kept as
/// text when it is UTF-8 (always, for a webhook that parsed) and as base64 otherwise.
/// </summary>
internal sealed record StoredRequest
{
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
    public string? Body { get; init; }
    public string? BodyBase64 { get; init; }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public byte[] BodyBytes() => Body is not null ? Encoding.UTF8.GetBytes(Body) : BodyBase64 is not null ? Convert.FromBase64String(BodyBase64) : [];

    public static (string? Text, string? Base64) EncodeBody(ReadOnlySpan<byte> body)
    {
        try
        {
            return (StrictUtf8.GetString(body), null);
        }
        catch (DecoderFallbackException)
        {
            return (null, Convert.ToBase64String(body));
        }
    }

    public string ToJson() => JsonSerializer.Serialize(this, ReceiverJsonContext.Default.StoredRequest);

    public static StoredRequest? FromJson(string json) => StoredJson.TryRead(json, ReceiverJsonContext.Default.StoredRequest);
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
internal sealed partial class ReceiverJsonContext : JsonSerializerContext;
