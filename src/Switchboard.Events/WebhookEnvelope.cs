using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Switchboard.Events;

/// <summary>The body of every webhook: <c>{"data": {...}, "meta": {...}}</c>.</summary>
public sealed class WebhookEnvelope : ExtensibleObject
{
    public required WebhookEvent Data { get; init; }

    public WebhookMeta? Meta { get; init; }

    /// <summary>Serialises the envelope to UTF-8 JSON (snake_case, <c>occurred_at</c> with milliseconds).</summary>
    public byte[] ToUtf8Bytes() => JsonSerializer.SerializeToUtf8Bytes(this, EventsJsonContext.Wire.WebhookEnvelope);

    /// <summary>
    /// Parses a webhook body. Never throws on bad input: returns false with a reason for anything that is not
    /// a JSON object carrying <c>data.id</c> and <c>data.event_type</c>. Unknown event types and fields are kept.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8Json, [NotNullWhen(true)] out WebhookEnvelope? envelope, [NotNullWhen(false)] out string? error)
    {
        envelope = TryRead(utf8Json, EventsJsonContext.Default.WebhookEnvelope, out var parsed, out error)
            && (error = CheckIdentity(parsed.Data is not null, parsed.Data?.Id, parsed.Data?.EventType)) is null
                ? parsed
                : null;
        return envelope is not null;
    }

    /// <summary>
    /// Deserialises a body that must be a JSON object; false with a reason for anything else, or for JSON the model's
    /// types refuse. Shared by <see cref="TryParse"/> and <see cref="WebhookSummary.TryParse"/>, so both refuse the same bodies.
    /// </summary>
    internal static bool TryRead<T>(ReadOnlySpan<byte> utf8Json, JsonTypeInfo<T> typeInfo, [NotNullWhen(true)] out T? parsed, [NotNullWhen(false)] out string? error)
        where T : class
    {
        parsed = null;
        if (!System.Text.Unicode.Utf8.IsValid(utf8Json))
        {
            // JSON is UTF-8 (RFC 8259), and the reader checks only the strings it decodes: skipped members would pass.
            error = "body is not valid UTF-8";
            return false;
        }

        try
        {
            var reader = new Utf8JsonReader(utf8Json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = "body is not a JSON object";
                return false;
            }

            parsed = JsonSerializer.Deserialize(utf8Json, typeInfo);
        }
        catch (JsonException ex)
        {
            error = ex.Message.Contains("missing required properties", StringComparison.Ordinal)
                ? DescribeMissing(utf8Json)
                : $"malformed JSON: {ex.Message}";
            return false;
        }

        error = parsed is null ? "body has no data object" : null;
        return parsed is not null;
    }

    /// <summary>
    /// The longest <c>data.id</c> and <c>data.event_type</c> accepted, in UTF-8 bytes (not characters: the id becomes a
    /// database key, and PostgreSQL's index cannot hold one past about 2.7 kB). Telnyx's are a UUID and a dotted name of
    /// a few dozen ASCII characters, so for them bytes and characters are the same count.
    /// </summary>
    public const int MaxIdentityLength = 255;

    /// <summary>
    /// Null when the event has what identifies it, else what is wrong with it. Beyond present and non-empty: at most
    /// <see cref="MaxIdentityLength"/> UTF-8 bytes, and none of the characters <see cref="TerminalText"/> escapes (Unicode
    /// categories Cc and Cf, line and paragraph separators), which would let a body write lines or escape sequences of
    /// its own into logs and consoles that print the id or type.
    /// </summary>
    internal static string? CheckIdentity(bool hasData, string? id, string? eventType) => (hasData, id, eventType) switch
    {
        (false, _, _) => "body has no data object",
        (_, null or "", _) => "data.id is missing or empty",
        (_, _, null or "") => "data.event_type is missing or empty",
        _ when IsTooLong(id) => $"data.id is longer than {MaxIdentityLength} bytes (UTF-8)",
        _ when IsTooLong(eventType) => $"data.event_type is longer than {MaxIdentityLength} bytes (UTF-8)",
        _ when TerminalText.ContainsUnsafe(id) => "data.id contains control or format characters",
        _ when TerminalText.ContainsUnsafe(eventType) => "data.event_type contains control or format characters",
        _ => null,
    };

    // A UTF-16 length past 255 is past 255 UTF-8 bytes too; only shorter strings need counting.
    private static bool IsTooLong(string value) => value.Length > MaxIdentityLength || System.Text.Encoding.UTF8.GetByteCount(value) > MaxIdentityLength;

    private static string DescribeMissing(ReadOnlySpan<byte> utf8Json)
    {
        // The serializer stops at the first object missing a required property, before it has read the rest of
        // the body; what follows may still be malformed.
        try
        {
            using var document = JsonDocument.Parse(utf8Json.ToArray());
            if (!document.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object)
            {
                return "body has no data object";
            }

            return data.TryGetProperty("id", out _) ? "data.event_type is missing" : "data.id is missing";
        }
        catch (JsonException ex)
        {
            return $"malformed JSON: {ex.Message}";
        }
    }
}

/// <summary>The <c>data</c> object: one event. <c>Id</c> is the idempotency key, equal on every attempt.</summary>
public sealed class WebhookEvent : ExtensibleObject
{
    public required string EventType { get; init; }

    public required string Id { get; init; }

    public DateTimeOffset OccurredAt { get; init; }

    public string RecordType { get; init; } = "event";

    /// <summary>
    /// The payload exactly as received; use <see cref="GetPayload{T}"/> for the typed view. Undefined (and then
    /// left out when written) if the body had none.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public JsonElement Payload { get; init; }

    [JsonIgnore]
    public bool IsKnownType => EventTypes.IsKnown(EventType);

    /// <summary>The payload as the given type; unknown members land in its <see cref="ExtensibleObject.AdditionalProperties"/>.</summary>
    public T? GetPayload<T>() where T : class =>
        Payload.ValueKind == JsonValueKind.Object ? Payload.Deserialize(EventsJsonContext.TypeInfo<T>()) : null;

    /// <summary>Builds an event whose payload is a typed object.</summary>
    public static WebhookEvent Create<T>(string eventType, string id, DateTimeOffset occurredAt, T payload) where T : class => new()
    {
        EventType = eventType,
        Id = id,
        OccurredAt = occurredAt,
        Payload = JsonSerializer.SerializeToElement(payload, EventsJsonContext.TypeInfo<T>()),
    };

    public byte[] ToUtf8Bytes() => JsonSerializer.SerializeToUtf8Bytes(this, EventsJsonContext.Wire.WebhookEvent);
}

/// <summary>The <c>meta</c> object: which attempt this request is, and the URL it was sent to.</summary>
public sealed class WebhookMeta : ExtensibleObject
{
    public int Attempt { get; init; }

    public string? DeliveredTo { get; init; }
}
