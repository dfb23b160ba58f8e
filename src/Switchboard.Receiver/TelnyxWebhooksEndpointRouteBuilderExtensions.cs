using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Receiver;
using Switchboard.Receiver.Handlers;
using Switchboard.Receiver.Ingest;

// In this namespace, as ASP.NET Core's own MapX methods are, so that no extra using is needed.
namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the Telnyx webhook receiver's endpoints.</summary>
public static class TelnyxWebhooksEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the webhook endpoint at <paramref name="pattern"/>: POST receives; any other method gets 405. The returned builder
    /// covers both (e.g. <c>.RequireHost(...)</c> applies to every route mapped here). Needs
    /// <c>services.AddTelnyxWebhooks(...)</c>; without it this throws at start, naming that call. The health check is registered
    /// as <c>telnyx-webhooks</c>; map it with <c>app.MapHealthChecks("/healthz")</c>.
    /// </summary>
    public static IEndpointConventionBuilder MapTelnyxWebhooks(this IEndpointRouteBuilder endpoints, string pattern = "/webhooks/telnyx")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        RequireServices(endpoints, nameof(MapTelnyxWebhooks));
        var group = endpoints.MapGroup(pattern);
        group.MapPost("", (HttpContext context, WebhookIngestEndpoint endpoint) => endpoint.HandleAsync(context));
        group.MapMethods("", ["GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
            (HttpContext context, WebhookIngestEndpoint endpoint) => endpoint.RejectMethodAsync(context));
        return group;
    }

    /// <summary>
    /// Maps a small admin API over <see cref="IWebhookInboxAdmin"/>: <c>GET {pattern}/events?state=</c>,
    /// <c>GET {pattern}/events/{id}</c>, <c>POST {pattern}/events/{id}/replay</c> and
    /// <c>POST {pattern}/dead-letter/replay</c>. It is not protected by itself: add
    /// <c>.RequireAuthorization(...)</c> to the returned group, or do not expose it.
    /// </summary>
    public static RouteGroupBuilder MapTelnyxWebhooksAdmin(this IEndpointRouteBuilder endpoints, string pattern = "/webhooks/telnyx/admin")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        RequireServices(endpoints, nameof(MapTelnyxWebhooksAdmin));
        var group = endpoints.MapGroup(pattern);
        group.MapGet("/events", async (IWebhookInboxAdmin admin, InboxEntryState? state, int? page, CancellationToken ct) =>
            Results.Ok(await admin.ListAsync(state, Math.Max(page ?? 1, 1), 50, ct)));
        group.MapGet("/events/{id}", async (string id, IWebhookInboxAdmin admin, CancellationToken ct) =>
            await admin.GetAsync(id, ct) is { } entry ? Results.Ok(entry) : Results.NotFound());
        group.MapPost("/events/{id}/replay", async (string id, IWebhookInboxAdmin admin, CancellationToken ct) =>
            await admin.ReplayAsync(id, ct) ? Results.Accepted() : Results.NotFound());
        group.MapPost("/dead-letter/replay", async (IWebhookInboxAdmin admin, CancellationToken ct) =>
            Results.Ok(new { replayed = await admin.ReplayDeadLetteredAsync(null, ct) }));
        return group;
    }

    private static void RequireServices(IEndpointRouteBuilder endpoints, string method)
    {
        if (endpoints.ServiceProvider.GetService<HandlerRegistry>() is null)
        {
            throw new InvalidOperationException(
                $"{method} needs the webhook receiver's services: call builder.Services.AddTelnyxWebhooks(...) before building the app");
        }
    }
}
