using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Switchboard.Events;

/// <summary>
/// What identifies a webhook, read without building its payload: for a receiver that stores the body and leaves the
/// typed view to whoever handles it later. <see cref="TryParse"/> accepts exactly the bodies
/// <see cref="WebhookEnvelope.TryParse"/> accepts (the same members with the same types), and refuses the others for
/// the same reason (a serializer's message may name a different type), so a body stored on its word parses in full later.
/// </summary>
public sealed record WebhookSummary(string Id, string EventType, DateTimeOffset OccurredAt)
{
    public static bool TryParse(ReadOnlySpan<byte> utf8Json, [NotNullWhen(true)] out WebhookSummary? summary, [NotNullWhen(false)] out string? error)
    {
        summary = WebhookEnvelope.TryRead(utf8Json, SummaryJsonContext.Default.EnvelopeShape, out var parsed, out error)
            && (error = WebhookEnvelope.CheckIdentity(parsed.Data is not null, parsed.Data?.Id, parsed.Data?.EventType)) is null
                ? new WebhookSummary(parsed.Data!.Id, parsed.Data.EventType, parsed.Data.OccurredAt)
                : null;
        return summary is not null;
    }
}

// The envelope's typed members only. What the full model keeps as JsonElement or extension data (payload, unknown
// members) is skipped here, which still reads, and so validates, every token of it.
internal sealed class EnvelopeShape
{
    public required EventShape Data { get; init; }

    public MetaShape? Meta { get; init; }
}

internal sealed class EventShape
{
    public required string EventType { get; init; }

    public required string Id { get; init; }

    public DateTimeOffset OccurredAt { get; init; }

    public string? RecordType { get; init; }
}

internal sealed class MetaShape
{
    public int Attempt { get; init; }

    public string? DeliveredTo { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, Converters = [typeof(UtcMillisecondsConverter)])]
[JsonSerializable(typeof(EnvelopeShape))]
internal sealed partial class SummaryJsonContext : JsonSerializerContext;
