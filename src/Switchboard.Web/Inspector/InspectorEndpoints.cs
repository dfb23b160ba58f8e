using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Switchboard.Receiver;
using Switchboard.Web.Inspector;
using Switchboard.Web.Shared;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// The receiver's inspector (<c>switchboard listen</c> at <c>/</c>): the request log, live, and one request with its
/// body, headers, handler runs, replay, forward again and copy as curl. It reads through <see cref="IWebhookInboxAdmin"/>,
/// the receiver's own admin surface.
/// </summary>
public static class InspectorEndpoints
{
    /// <summary>Maps the inspector; needs <c>AddTelnyxWebhooks</c> with <c>RecordAllRequests</c> on.</summary>
    public static void MapSwitchboardInspector(this WebApplication app, PageAccess access, InspectorOptions options)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(access);
        ArgumentNullException.ThrowIfNull(options);
        var services = app.Services;
        if (services.GetService<IServiceProviderIsService>()?.IsService(typeof(IWebhookInboxAdmin)) != true)
        {
            throw new InvalidOperationException("MapSwitchboardInspector needs the receiver: call services.AddTelnyxWebhooks(...) first");
        }

        // Resolved at the first request, not here: building it validates the receiver's options, which the host reports at start.
        var inbox = new Lazy<IWebhookInboxAdmin>(services.GetRequiredService<IWebhookInboxAdmin>);
        var renderer = new PageRenderer(services, services.GetRequiredService<ILoggerFactory>());
        var reads = new PageReads(PageReads.DefaultConcurrency);
        var live = new LiveUpdates(
            services.GetRequiredService<TimeProvider>(), services.GetRequiredService<IHostApplicationLifetime>(), reads, services.GetRequiredService<ILogger<LiveUpdates>>());
        var forwarding = options.Forwarding;

        var pages = PageFilter.MapPages(app, access, renderer).AddEndpointFilter(reads);

        pages.MapGet("/", async (HttpRequest request, CancellationToken ct) =>
            await renderer.PageAsync<InspectorPage>(await RequestList.LoadAsync(inbox.Value, PageOf(request), options, ct)));
        pages.MapGet("/live/requests", (HttpRequest request) =>
        {
            var page = PageOf(request);
            return live.Stream($"/live/requests?page={page}", async ct => await renderer.RenderAsync<RequestTable>(await RequestList.LoadAsync(inbox.Value, page, options, ct)));
        });

        pages.MapGet("/requests/{id}", async (string id, HttpRequest request, CancellationToken ct) => await RequestPageAsync(id, request, null, ct));
        pages.MapGet("/live/requests/{id}", (string id) => live.Stream("/live/requests/" + id, async ct =>
            await inbox.Value.GetRequestAsync(id, ct) is { } recorded
                ? await renderer.RenderAsync<RequestOutcome>(await RequestView.LoadAsync(inbox.Value, recorded, forwarding?.HandlerName, ct))
                : "<p class=\"muted\">This request has left the log (it keeps the newest).</p>"));
        pages.MapPost("/requests/{id}/replay", async (string id, HttpRequest request, CancellationToken ct) =>
        {
            if (await inbox.Value.GetRequestAsync(id, ct) is not { EventId: { Length: > 0 } eventId })
            {
                return await NotFoundAsync(id);
            }

            var replayed = await inbox.Value.ReplayAsync(eventId, ct);
            return await RequestPageAsync(id, request, replayed
                ? "Replayed: the handlers that have not completed run again now (a handler that completed never runs twice for an event)."
                : "This webhook is not in the inbox (it was refused, or pruned).", ct);
        });
        pages.MapPost("/requests/{id}/forward", async (string id, HttpRequest request, CancellationToken ct) =>
        {
            if (forwarding is null)
            {
                return await renderer.PageAsync<MessagePage>(
                    new PageMessage("Not forwarding", "listen was started without --forward-to.", InspectorNav.SiteName, InspectorNav.Items), StatusCodes.Status409Conflict);
            }

            if (await inbox.Value.GetRequestAsync(id, ct) is not { } recorded)
            {
                return await NotFoundAsync(id);
            }

            if (!RequestView.MayForward(recorded))
            {
                // Forwarding re-signs with listen's own key (--forward-sign-key): an unverified request would reach the app validly signed.
                return await renderer.PageAsync<MessagePage>(
                    new PageMessage("Not verified", "Only a webhook whose signature was verified is forwarded; this request's was not.", InspectorNav.SiteName, InspectorNav.Items),
                    StatusCodes.Status409Conflict);
            }

            return await RequestPageAsync(id, request, await forwarding.ForwardAgainAsync(recorded, ct), ct);
        });
        pages.MapPost("/events/{eventId}/replay", async (string eventId, CancellationToken ct) =>
            await inbox.Value.ReplayAsync(eventId, ct)
                ? Results.Redirect("/")
                : await renderer.PageAsync<MessagePage>(
                    new PageMessage("No such webhook", $"The inbox holds no webhook {eventId}.", InspectorNav.SiteName, InspectorNav.Items), StatusCodes.Status404NotFound));

        async Task<IResult> RequestPageAsync(string id, HttpRequest request, string? notice, CancellationToken ct)
        {
            if (await inbox.Value.GetRequestAsync(id, ct) is not { } recorded)
            {
                return await NotFoundAsync(id);
            }

            var view = await RequestView.LoadAsync(inbox.Value, recorded, forwarding?.HandlerName, ct);
            var url = $"{request.Scheme}://{request.Host}{options.WebhookPath}";
            return await renderer.PageAsync<RequestPage>(new RequestDetail(view, url, options, notice));
        }

        Task<IResult> NotFoundAsync(string id) => renderer.PageAsync<MessagePage>(
            new PageMessage("No such request", $"The request log holds no request {id} (it keeps the newest).", InspectorNav.SiteName, InspectorNav.Items),
            StatusCodes.Status404NotFound);
    }

    private static int PageOf(HttpRequest request) =>
        int.TryParse(request.Query["page"], NumberStyles.None, CultureInfo.InvariantCulture, out var page) && page is >= 1 and <= 100_000 ? page : 1;
}
