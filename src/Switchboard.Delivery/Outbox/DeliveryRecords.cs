using System.Text.Json;

namespace Switchboard.Delivery.Outbox;

/// <summary>Where a delivery is: still being attempted, delivered (a 2xx), or failed after its whole schedule.</summary>
public enum DeliveryStatus
{
    Pending,
    Delivered,
    Failed,
}

/// <summary>
/// The record of one event's delivery, shaped like Telnyx's webhook-delivery resource: the original
/// <c>data</c> object and every request made for it, newest first.
/// </summary>
public sealed record WebhookDelivery
{
    /// <summary>The event id (<c>data.id</c>): one delivery per event.</summary>
    public required string Id { get; init; }
    public string RecordType => "webhook_delivery";
    public required DeliveryStatus Status { get; init; }
    public required string EventType { get; init; }
    /// <summary>When the event was published for delivery.</summary>
    public required DateTimeOffset StartedAt { get; init; }
    /// <summary>When it was delivered or failed for good; null while pending.</summary>
    public DateTimeOffset? FinishedAt { get; init; }
    /// <summary>
    /// The ordering key it was published with: it is attempted only after every earlier delivery with this key was
    /// delivered or failed. Null when published without one.
    /// </summary>
    public string? OrderingKey { get; init; }
    /// <summary>When the next attempt is due (while one runs: when it was due; while waiting behind its ordering key: when it was published); null once finished.</summary>
    public DateTimeOffset? NextAttemptAt { get; init; }
    /// <summary>Attempts made so far (an attempt tries the whole chain of targets).</summary>
    public required int AttemptCount { get; init; }
    public required int MaxAttempts { get; init; }
    /// <summary>The original <c>data</c> object.</summary>
    public required JsonElement Webhook { get; init; }
    public required IReadOnlyList<WebhookTarget> Targets { get; init; }
    /// <summary>
    /// The requests of the newest <see cref="DeliveryOptions.AttemptLogLimit"/> attempts, newest first; in query results
    /// only the newest <see cref="WebhookOutbox.ListedRequests"/> (use <see cref="WebhookOutbox.GetAsync"/> for the rest).
    /// </summary>
    public IReadOnlyList<DeliveryAttempt> Attempts { get; init; } = [];
}

/// <summary>One request of one attempt: <c>attempts[]</c> of Telnyx's webhook-delivery record.</summary>
public sealed record DeliveryAttempt
{
    /// <summary>The attempt number (<c>meta.attempt</c>); every URL of the chain tried in one attempt shares it.</summary>
    public required int Attempt { get; init; }
    /// <summary><c>delivered</c> or <c>failed</c>.</summary>
    public required string Status { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required DateTimeOffset FinishedAt { get; init; }
    public IReadOnlyList<DeliveryError> Errors { get; init; } = [];
    public required DeliveryHttp Http { get; init; }
}

/// <summary>One request of a delivery, with the delivery's id (<see cref="WebhookOutbox.ListAttemptsAsync"/>).</summary>
public sealed record RecentDeliveryAttempt(string DeliveryId, DeliveryAttempt Attempt);

/// <summary>Why a request failed: <see cref="Code"/> is the error kind (<c>timeout</c>, <c>http_status</c>, ...).</summary>
public sealed record DeliveryError(string Code, string Title, string? Detail);

public sealed record DeliveryHttp(DeliveryHttpRequest Request, DeliveryHttpResponse? Response);

public sealed record DeliveryHttpRequest(string Url, IReadOnlyList<IReadOnlyList<string>> Headers);

/// <summary>The response as received: headers and body cut at 10 kB.</summary>
public sealed record DeliveryHttpResponse(int Status, IReadOnlyList<IReadOnlyList<string>> Headers, string? Body);

/// <summary>Filters for <see cref="WebhookOutbox.QueryAsync"/>, like Telnyx's <c>filter[...]</c>; bounds are inclusive.</summary>
public sealed record DeliveryQuery
{
    public DeliveryStatus? Status { get; init; }
    public string? EventType { get; init; }
    /// <summary>Any of these event types (Telnyx's <c>filter[event_type]</c> takes several, comma-separated).</summary>
    public IReadOnlyList<string>? EventTypes { get; init; }
    public DateTimeOffset? StartedFrom { get; init; }
    public DateTimeOffset? StartedTo { get; init; }
    public DateTimeOffset? FinishedFrom { get; init; }
    public DateTimeOffset? FinishedTo { get; init; }
    /// <summary>Substring (case-sensitive) of the webhook's <c>data</c> JSON.</summary>
    public string? WebhookContains { get; init; }
    /// <summary>Substring (case-sensitive) of any request's logged URL, headers, status, body or error.</summary>
    public string? AttemptsContain { get; init; }
    public int PageNumber { get; init; } = 1;
    public int PageSize { get; init; } = 20;
}

public sealed record DeliveryPage(IReadOnlyList<WebhookDelivery> Deliveries, long TotalResults, int PageNumber, int PageSize, int TotalPages);
