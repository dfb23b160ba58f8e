using Switchboard.Platform.Webhooks;

namespace Switchboard.Web.Dashboard;

/// <summary>One delivery's page: the record as <c>GET /v2/webhook_deliveries/{id}</c> returns it, and a notice after an action.</summary>
public sealed record DeliveryDetail(string Id, WebhookDeliveryRecord Delivery, string? Notice);
