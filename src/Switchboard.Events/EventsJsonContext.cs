using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Switchboard.Events;

/// <summary>Source-generated serialisation for the whole model: snake_case, nulls omitted, UTC milliseconds.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(UtcMillisecondsConverter)])]
[JsonSerializable(typeof(WebhookEnvelope))]
[JsonSerializable(typeof(MessagePayload))]
[JsonSerializable(typeof(CallPayload))]
[JsonSerializable(typeof(CallInitiatedPayload))]
[JsonSerializable(typeof(CallAnsweredPayload))]
[JsonSerializable(typeof(CallHangupPayload))]
[JsonSerializable(typeof(CallRecordingSavedPayload))]
[JsonSerializable(typeof(CallSpeakPayload))]
[JsonSerializable(typeof(CallPlaybackPayload))]
[JsonSerializable(typeof(CallDtmfReceivedPayload))]
[JsonSerializable(typeof(CallGatherEndedPayload))]
[JsonSerializable(typeof(CallBridgedPayload))]
[JsonSerializable(typeof(CallMachineDetectionPayload))]
internal sealed partial class EventsJsonContext : JsonSerializerContext
{
    /// <summary>
    /// Escapes only what JSON requires, so bodies read as Telnyx writes them (<c>"+18445550001"</c>, <c>"café"</c>,
    /// <c>"?a=1&amp;b=2"</c>) rather than <c>"\u002B18445550001"</c>. Webhook bodies are not embedded in HTML.
    /// </summary>
    public static JavaScriptEncoder WireEncoder => JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    /// <summary><see cref="Default"/>'s settings with <see cref="WireEncoder"/>: the context every webhook body is written with.</summary>
    public static EventsJsonContext Wire => field ??= new(new JsonSerializerOptions(Default.Options) { Encoder = WireEncoder });

    /// <summary>The generated metadata for <typeparamref name="T"/> (writing as <see cref="Wire"/>); throws for a type outside the model.</summary>
    public static JsonTypeInfo<T> TypeInfo<T>() =>
        Wire.GetTypeInfo(typeof(T)) as JsonTypeInfo<T>
        ?? throw new NotSupportedException($"{typeof(T).Name} is not part of the Switchboard event model.");
}

/// <summary>How webhook bodies are written, for code that writes or reads the model's JSON itself.</summary>
public static class EventJson
{
    /// <summary>
    /// Escapes only what JSON requires, so bodies read as Telnyx writes them (<c>"+18445550001"</c>, <c>"café"</c>,
    /// <c>"?a=1&amp;b=2"</c>) rather than <c>"\u002B18445550001"</c>. Webhook bodies are not embedded in HTML.
    /// </summary>
    public static JavaScriptEncoder WireEncoder => EventsJsonContext.WireEncoder;

    /// <summary>
    /// The source-generated metadata for <typeparamref name="T"/>, a type of the event model (snake_case, nulls omitted, UTC
    /// milliseconds, written with <see cref="WireEncoder"/>); throws <see cref="NotSupportedException"/> for a type outside it.
    /// </summary>
    public static JsonTypeInfo<T> TypeInfo<T>() => EventsJsonContext.TypeInfo<T>();
}

/// <summary>
/// Writes timestamps as ISO 8601 UTC with exactly three fractional digits (<c>2025-10-24T18:10:02.574Z</c>);
/// reads any ISO 8601 form.
/// </summary>
public sealed class UtcMillisecondsConverter : JsonConverter<DateTimeOffset>
{
    public const string Format = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.GetDateTimeOffset();

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Span<byte> buffer = stackalloc byte[24];
        value.UtcDateTime.TryFormat(buffer, out var written, Format, System.Globalization.CultureInfo.InvariantCulture);
        writer.WriteStringValue(buffer[..written]);
    }
}
