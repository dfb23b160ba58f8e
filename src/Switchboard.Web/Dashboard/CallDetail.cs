using System.Globalization;
using System.Text.Json;
using Switchboard.Platform.Api;
using Switchboard.Platform.Calls;
using Switchboard.Platform.Webhooks;

namespace Switchboard.Web.Dashboard;

/// <summary>
/// One line of a call's timeline: an event (its type, the payload fields that say what happened, its webhook delivery),
/// or what the call heard (<see cref="Heard"/>: a speak's text, a playback's audio), which no event carries.
/// </summary>
public sealed record CallEvent(DateTimeOffset? OccurredAt, string EventType, IReadOnlyList<(string Name, string Value)> Details, string? DeliveryId, string? DeliveryStatus)
{
    public string? Heard { get; init; }
}

/// <summary>
/// One call's page: the call as stored and its events, oldest first. The events are the call's webhooks (every event of
/// a call is one), found by its session id in the delivery log, so they show what the application was sent.
/// </summary>
public sealed record CallDetail(StoredCall Call, IReadOnlyList<CallEvent> Events, long TotalEvents)
{
    /// <summary>How many of a call's events the page shows: the newest ones.</summary>
    public const int ShownEvents = 200;

    /// <summary>The payload fields worth a glance, in the order shown; the rest is one click away, on the delivery.</summary>
    private static readonly string[] DetailFields =
    [
        "direction", "digit", "digits", "status", "result", "hangup_cause", "hangup_source", "sip_hangup_cause",
        "media_url", "media_name", "channels", "client_state",
    ];

    /// <summary>The form that was refused (<see cref="CallPage.KeypadForm"/> or <see cref="CallPage.HangupForm"/>), and why.</summary>
    public string? FailedForm { get; init; }

    public IReadOnlyList<ApiError> Errors { get; init; } = [];

    /// <summary>A line saying what the last form did.</summary>
    public string? Notice { get; init; }

    public static async Task<CallDetail> LoadAsync(CallLog calls, WebhookDeliveries deliveries, string callControlId, CancellationToken cancellationToken)
    {
        var call = await calls.GetAsync(callControlId, cancellationToken);
        var filter = new Dictionary<string, string> { ["filter[webhook][contains]"] = call.CallSessionId };
        var (records, total) = await deliveries.ListAsync(1, ShownEvents, filter, cancellationToken);
        // A message whose text holds the session id matches too: only call events are the call's.
        var events = records.Select(d => EventOf(call, d)).Where(e => e.EventType.StartsWith("call.", StringComparison.Ordinal));
        // A prompt is kept as it starts, just before its call.speak.started or call.playback.started is sent: it goes first at a tie.
        var heard = call.Prompts.Select(p => new CallEvent(p.At, p.Kind == "speak" ? "said" : "played", [], null, null) { Heard = p.Text });
        return new CallDetail(call, [.. heard.Concat(events.Reverse()).OrderBy(e => e.OccurredAt)], total);
    }

    private static CallEvent EventOf(StoredCall call, WebhookDeliveryRecord delivery)
    {
        var webhook = delivery.Webhook;
        var payload = webhook.ValueKind == JsonValueKind.Object && webhook.TryGetProperty("payload", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
        var details = new List<(string, string)>();
        if (payload.ValueKind == JsonValueKind.Object)
        {
            // A transfer's leg shares the session: its events show here too, marked.
            if (payload.TryGetProperty("call_control_id", out var leg) && leg.ValueKind == JsonValueKind.String && leg.GetString() != call.CallControlId)
            {
                details.Add(("leg", "the other leg"));
            }

            foreach (var name in DetailFields)
            {
                if (payload.TryGetProperty(name, out var value) && value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)
                {
                    details.Add((name, value.ToString()));
                }
            }
        }

        var occurredAt = webhook.ValueKind == JsonValueKind.Object && webhook.TryGetProperty("occurred_at", out var at) && at.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(at.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : (DateTimeOffset?)null;
        return new CallEvent(occurredAt ?? delivery.StartedAt, DeliveryList.EventType(delivery), details, delivery.Id, delivery.Status);
    }
}
