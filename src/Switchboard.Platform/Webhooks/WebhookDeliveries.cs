using System.Globalization;
using System.Text.Json;
using Switchboard.Delivery.Outbox;
using Switchboard.Platform.Api;

namespace Switchboard.Platform.Webhooks;

/// <summary>
/// A webhook delivery in Telnyx's shape (<c>GET /v2/webhook_deliveries/{id}</c>): the event (<c>webhook</c>) and every
/// request made for it, newest first, each with its HTTP exchange (headers and body cut at 10 kB). Its id is the event's
/// id. <c>status</c> is Telnyx's <c>delivered</c> or <c>failed</c>, or <c>pending</c> while attempts remain; the fields
/// after <c>attempts</c> are Switchboard's.
/// </summary>
public sealed record WebhookDeliveryRecord
{
    public required string Id { get; init; }
    public string RecordType => "webhook_delivery";
    public string UserId => PlatformIdentity.OrganizationId;
    public required string Status { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public required JsonElement Webhook { get; init; }
    public required IReadOnlyList<WebhookDeliveryAttemptRecord> Attempts { get; init; }
    public required int AttemptCount { get; init; }
    public required int MaxAttempts { get; init; }
    public DateTimeOffset? NextAttemptAt { get; init; }
    public string? OrderingKey { get; init; }
    public required IReadOnlyList<string> Targets { get; init; }
}

/// <summary>One request (<c>attempts[]</c>): a failover request is an entry of its own, with the same <see cref="Attempt"/> number.</summary>
public sealed record WebhookDeliveryAttemptRecord
{
    public required string Status { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required DateTimeOffset FinishedAt { get; init; }

    /// <summary>Telnyx's webhook delivery error codes; the emulator reports every failure as 75499 (the code Telnyx's docs show).</summary>
    public required IReadOnlyList<int> Errors { get; init; }
    public required WebhookDeliveryHttp Http { get; init; }

    /// <summary>Switchboard's: the attempt this request belongs to (<c>meta.attempt</c>).</summary>
    public required int Attempt { get; init; }

    /// <summary>Switchboard's: why it failed (<c>timeout</c>, <c>http_status</c>, <c>connection_refused</c>, <c>interrupted</c>, ...).</summary>
    public DeliveryError? Error { get; init; }
}

public sealed record WebhookDeliveryHttp(WebhookDeliveryHttpRequest Request, WebhookDeliveryHttpResponse? Response);

public sealed record WebhookDeliveryHttpRequest(string Url, IReadOnlyList<IReadOnlyList<string>> Headers);

public sealed record WebhookDeliveryHttpResponse(int Status, IReadOnlyList<IReadOnlyList<string>> Headers, string? Body);

/// <summary>What a redelivery did: how many deliveries got one more attempt.</summary>
public sealed record RedeliveryResult(int Redelivered);

/// <summary>The webhook delivery log: reading it with Telnyx's filters, and redelivering.</summary>
public sealed class WebhookDeliveries(WebhookOutbox outbox)
{
    /// <summary>A list query Telnyx refuses: the spec declares only 422 for <c>GET /webhook_deliveries</c> (not 400).</summary>
    internal const int InvalidQueryStatus = 422;

    public const int WebhookDeliveryErrorCode = 75499;

    public async Task<WebhookDeliveryRecord> GetAsync(string id, CancellationToken cancellationToken = default) =>
        await outbox.GetAsync(id, cancellationToken) is { } delivery ? ToRecord(delivery) : throw ApiErrors.NotFound("webhook delivery", id);

    /// <summary>
    /// A page of deliveries, newest first. <paramref name="filter"/> holds Telnyx's <c>filter[...]</c> parameters:
    /// <c>status][eq</c>, <c>event_type</c> (comma-separated), <c>webhook][contains</c>, <c>attempts][contains</c>,
    /// <c>started_at][gte|lte</c>, <c>finished_at][gte|lte</c>.
    /// </summary>
    public async Task<(IReadOnlyList<WebhookDeliveryRecord> Deliveries, long Total)> ListAsync(
        int pageNumber, int pageSize, IReadOnlyDictionary<string, string> filter, CancellationToken cancellationToken = default)
    {
        var errors = new List<ApiError>();
        var query = new DeliveryQuery
        {
            Status = Text("filter[status][eq]") switch
            {
                null => null,
                "delivered" => DeliveryStatus.Delivered,
                "failed" => DeliveryStatus.Failed,
                "pending" => DeliveryStatus.Pending,
                var other => Bad<DeliveryStatus?>("filter[status][eq]", $"must be delivered, failed or pending; got '{ApiErrors.Printable(other)}'"),
            },
            EventTypes = Text("filter[event_type]") is { } types ? EventTypeList("filter[event_type]", types) : null,
            WebhookContains = Text("filter[webhook][contains]"),
            AttemptsContain = Text("filter[attempts][contains]"),
            StartedFrom = Time("filter[started_at][gte]"),
            StartedTo = Time("filter[started_at][lte]"),
            FinishedFrom = Time("filter[finished_at][gte]"),
            FinishedTo = Time("filter[finished_at][lte]"),
            PageNumber = pageNumber,
            PageSize = pageSize,
        };
        if (errors.Count > 0)
        {
            throw new ApiException(InvalidQueryStatus, errors);
        }

        var page = await outbox.QueryAsync(query, cancellationToken);
        return ([.. page.Deliveries.Select(ToRecord)], page.TotalResults);

        string? Text(string name)
        {
            if (!filter.TryGetValue(name, out var value) || value.Length == 0)
            {
                return null;
            }

            if (value.Contains('\0', StringComparison.Ordinal))
            {
                errors.Add(ApiErrors.NulInFilter(name));
                return null;
            }

            return value[..Math.Min(value.Length, 1000)];
        }

        DateTimeOffset? Time(string name) => Text(name) is not { } text
            ? null
            : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
                ? at
                : Bad<DateTimeOffset?>(name, $"must be an ISO 8601 time; got '{ApiErrors.Printable(text)}'");

        IReadOnlyList<string> EventTypeList(string name, string text)
        {
            var list = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return list.Length <= DurableWork.WorkQuery.MaxTags ? list : Bad<IReadOnlyList<string>>(name, $"at most {DurableWork.WorkQuery.MaxTags} event types")!;
        }

        T? Bad<T>(string name, string detail)
        {
            errors.Add(ApiError.InParameter(name, ApiErrors.BadRequestCode, "Invalid filter", $"{name} {detail}"));
            return default;
        }
    }

    /// <summary>
    /// Every request made for any delivery since <paramref name="since"/> (by when it finished), latest first, at most
    /// <paramref name="maxAttempts"/>: what the dashboard's charts count.
    /// </summary>
    public async Task<IReadOnlyList<(string DeliveryId, WebhookDeliveryAttemptRecord Attempt)>> ListRecentAttemptsAsync(
        DateTimeOffset since, int maxAttempts, CancellationToken cancellationToken = default) =>
        [.. (await outbox.ListAttemptsAsync(since, maxAttempts, cancellationToken)).Select(a => (a.DeliveryId, ToRecord(a.Attempt)))];

    /// <summary>One more attempt for a delivery, now (a delivered or failed one is attempted again; a pending one comes forward).</summary>
    public async Task<WebhookDeliveryRecord> RedeliverAsync(string id, CancellationToken cancellationToken = default)
    {
        if (!await outbox.RedeliverAsync(id, cancellationToken))
        {
            throw ApiErrors.NotFound("webhook delivery", id);
        }

        return await GetAsync(id, cancellationToken);
    }

    /// <summary>One more attempt, now, for every delivery that failed at or after <paramref name="since"/>.</summary>
    public async Task<RedeliveryResult> RedeliverFailedAsync(DateTimeOffset since, CancellationToken cancellationToken = default) =>
        new(await outbox.RedeliverFailedSinceAsync(since, cancellationToken));

    public static WebhookDeliveryRecord ToRecord(WebhookDelivery delivery) => new()
    {
        Id = delivery.Id,
        Status = delivery.Status switch
        {
            DeliveryStatus.Delivered => "delivered",
            DeliveryStatus.Failed => "failed",
            _ => "pending",
        },
        StartedAt = delivery.StartedAt,
        FinishedAt = delivery.FinishedAt,
        Webhook = delivery.Webhook,
        Attempts = [.. delivery.Attempts.Select(ToRecord)],
        AttemptCount = delivery.AttemptCount,
        MaxAttempts = delivery.MaxAttempts,
        NextAttemptAt = delivery.NextAttemptAt,
        OrderingKey = delivery.OrderingKey,
        Targets = [.. delivery.Targets.Select(t => t.Url.OriginalString)],
    };

    private static WebhookDeliveryAttemptRecord ToRecord(DeliveryAttempt attempt) => new()
    {
        Status = attempt.Status,
        StartedAt = attempt.StartedAt,
        FinishedAt = attempt.FinishedAt,
        Errors = attempt.Errors.Count == 0 ? [] : [WebhookDeliveryErrorCode],
        Http = new WebhookDeliveryHttp(
            new WebhookDeliveryHttpRequest(attempt.Http.Request.Url, attempt.Http.Request.Headers),
            attempt.Http.Response is { } response ? new WebhookDeliveryHttpResponse(response.Status, response.Headers, response.Body) : null),
        Attempt = attempt.Attempt,
        Error = attempt.Errors.Count == 0 ? null : attempt.Errors[0],
    };
}
