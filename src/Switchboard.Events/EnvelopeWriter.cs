using System.Buffers;
using System.Text.Json;

namespace Switchboard.Events;

/// <summary>
/// Writes the bytes of one delivery attempt: the stored <c>data</c> JSON, unchanged, plus a fresh <c>meta</c>.
/// <c>meta</c> is inside the signed body, so every attempt is written (and signed) anew; <c>data</c> is
/// serialised once when the event is published.
/// </summary>
public static class EnvelopeWriter
{
    public static void Write(IBufferWriter<byte> output, ReadOnlySpan<byte> dataJson, int attempt, string deliveredTo)
    {
        using var writer = new Utf8JsonWriter(output, new JsonWriterOptions { SkipValidation = true, Encoder = EventsJsonContext.WireEncoder });
        writer.WriteStartObject();
        writer.WritePropertyName("data"u8);
        writer.WriteRawValue(dataJson, skipInputValidation: true);
        writer.WriteStartObject("meta"u8);
        writer.WriteNumber("attempt"u8, attempt);
        writer.WriteString("delivered_to"u8, deliveredTo);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    public static byte[] Write(ReadOnlySpan<byte> dataJson, int attempt, string deliveredTo)
    {
        var buffer = new ArrayBufferWriter<byte>(dataJson.Length + 128);
        Write(buffer, dataJson, attempt, deliveredTo);
        return buffer.WrittenSpan.ToArray();
    }
}
