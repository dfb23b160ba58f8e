using System.Text.Json;
using Switchboard.Platform.Api;
using Switchboard.Platform.Webhooks;

namespace Switchboard.Web.Dashboard;

/// <summary>One page of the deliveries list, read through <see cref="WebhookDeliveries"/> (the API's own query), or the errors of a bad filter.</summary>
public sealed record DeliveryList(DeliveryFilter Filter, IReadOnlyList<WebhookDeliveryRecord> Deliveries, long Total, IReadOnlyList<ApiError> Errors)
{
    public int TotalPages => (int)Math.Max(1, (Total + DeliveryFilter.PageSize - 1) / DeliveryFilter.PageSize);

    public static async Task<DeliveryList> LoadAsync(WebhookDeliveries deliveries, DeliveryFilter filter, CancellationToken cancellationToken)
    {
        try
        {
            var (records, total) = await deliveries.ListAsync(filter.Page, DeliveryFilter.PageSize, filter.ApiFilters(), cancellationToken);
            return new DeliveryList(filter, records, total, []);
        }
        catch (ApiException ex)
        {
            return new DeliveryList(filter, [], 0, ex.Errors);
        }
    }

    /// <summary>What the delivery is about: the message's id, or the call's session.</summary>
    public static string Resource(WebhookDeliveryRecord delivery) =>
        delivery.Webhook.ValueKind == JsonValueKind.Object
        && delivery.Webhook.TryGetProperty("payload", out var payload) && payload.ValueKind == JsonValueKind.Object
            ? Text(payload, "call_session_id") is { } session ? $"call {session}" : Text(payload, "id") is { } id ? $"message {id}" : ""
            : "";

    public static string EventType(WebhookDeliveryRecord delivery) =>
        delivery.Webhook.ValueKind == JsonValueKind.Object ? Text(delivery.Webhook, "event_type") ?? "" : "";

    /// <summary>The first URL of the delivery's chain, as host and path.</summary>
    public static string Target(WebhookDeliveryRecord delivery) =>
        delivery.Targets is [var first, ..] && Uri.TryCreate(first, UriKind.Absolute, out var url) ? $"{url.Authority}{url.AbsolutePath}" : "";

    public static string StatusKind(string status) => status switch
    {
        "delivered" => "ok",
        "failed" => "bad",
        _ => "wait",
    };

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
