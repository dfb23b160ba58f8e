using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Switchboard.Platform;
using Switchboard.Platform.Api;
using Switchboard.Platform.Calls;
using Switchboard.Platform.Messaging;
using Switchboard.Platform.Numbers;
using Switchboard.Platform.Webhooks;
using Switchboard.Web.Dashboard;
using Switchboard.Web.Shared;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// The platform's dashboard (<c>switchboard serve</c> at <c>/</c>): deliveries, one delivery, charts, configuration,
/// try it. Pages read and write through the platform's own services (the code behind <c>/v2</c>), so what they show
/// is what the API answers and what they save passes the API's checks.
/// </summary>
public static class DashboardEndpoints
{
    /// <summary>Maps the dashboard; <paramref name="access"/> decides who may see it (see <see cref="PageAccess"/>).</summary>
    public static void MapSwitchboardDashboard(this WebApplication app, PageAccess access)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(access);
        var services = app.Services;
        var renderer = new PageRenderer(services, services.GetRequiredService<ILoggerFactory>());
        var time = services.GetRequiredService<TimeProvider>();
        var reads = new PageReads(PageReads.DefaultConcurrency);
        var live = new LiveUpdates(time, services.GetRequiredService<IHostApplicationLifetime>(), reads, services.GetRequiredService<ILogger<LiveUpdates>>());
        var deliveries = services.GetRequiredService<WebhookDeliveries>();
        var activity = new DeliveryActivity(deliveries, time);
        var options = services.GetRequiredService<PlatformOptions>();

        var pages = PageFilter.MapPages(app, access, renderer).AddEndpointFilter(reads);

        pages.MapGet("/", async (HttpRequest request, CancellationToken ct) =>
        {
            var list = await DeliveryList.LoadAsync(deliveries, DeliveryFilter.Read(request.Query), ct);
            return await renderer.PageAsync<DeliveriesPage>(list, list.Errors.Count > 0 ? StatusCodes.Status400BadRequest : StatusCodes.Status200OK);
        });
        pages.MapGet("/live/deliveries", (HttpRequest request) =>
        {
            var filter = DeliveryFilter.Read(request.Query);
            return live.Stream("/live/deliveries" + filter.Query(), async ct => await renderer.RenderAsync<DeliveryTable>(await DeliveryList.LoadAsync(deliveries, filter, ct)));
        });

        pages.MapGet("/deliveries/{id}", async (string id, CancellationToken ct) => await DeliveryPageAsync(id, null, StatusCodes.Status200OK, ct));
        pages.MapGet("/live/deliveries/{id}", (string id) => live.Stream("/live/deliveries/" + id, async ct =>
        {
            try
            {
                return await renderer.RenderAsync<DeliveryTimeline>(await deliveries.GetAsync(id, ct));
            }
            catch (ApiException ex) when (ex.Status == StatusCodes.Status404NotFound)
            {
                return "<p class=\"muted\">This delivery is gone (pruned).</p>";
            }
        }));
        pages.MapPost("/deliveries/{id}/redeliver", async (string id, CancellationToken ct) =>
        {
            try
            {
                await deliveries.RedeliverAsync(id, ct);
                return Results.Redirect($"/deliveries/{Uri.EscapeDataString(id)}");
            }
            catch (ApiException ex) when (ex.Status == StatusCodes.Status404NotFound)
            {
                return await NoSuchDeliveryAsync(id);
            }
        });

        pages.MapGet("/charts", async (CancellationToken ct) => await renderer.PageAsync<ChartsPage>(await activity.ReadAsync(ct)));
        pages.MapGet("/live/charts", () => live.Stream("/live/charts", async ct => await renderer.RenderAsync<ActivityCharts>(await activity.ReadAsync(ct)), TimeSpan.FromSeconds(2)));

        pages.MapGet("/config", async (HttpRequest request, CancellationToken ct) =>
            await renderer.PageAsync<ConfigPage>(await ConfigView.LoadAsync(services, ct) with { Saved = request.Query["saved"].ToString() }));
        MapConfigForms(pages, services, renderer);
        CallsEndpoints.Map(pages, services, renderer, live);

        pages.MapGet("/try", async (HttpRequest request, CancellationToken ct) => await renderer.PageAsync<TryPage>(await TryViewAsync(request, ct)));
        pages.MapPost("/try/message", async (HttpRequest request, CancellationToken ct) =>
            await TryAsync(request, TryPage.MessageForm, async form =>
            {
                var message = await services.GetRequiredService<Messages>().SendAsync(
                    FormBody.ToJson(form, ("from", FormField.Text), ("to", FormField.Text), ("text", FormField.Text)), ct);
                return ($"Message {message.Message.Id} queued to {message.Recipient}.", message.Message.Id ?? "");
            }, ct));
        pages.MapPost("/try/call", async (HttpRequest request, CancellationToken ct) =>
            await TryAsync(request, TryPage.CallForm, async form =>
            {
                var call = await services.GetRequiredService<CallControl>().DialAsync(
                    FormBody.ToJson(form, ("connection_id", FormField.Text), ("from", FormField.Text), ("to", FormField.Text)), ct);
                return ($"Call {call.CallControlId} placed.", call.CallSessionId);
            }, ct));

        async Task<IResult> DeliveryPageAsync(string id, string? notice, int status, CancellationToken ct)
        {
            try
            {
                return await renderer.PageAsync<DeliveryPage>(new DeliveryDetail(id, await deliveries.GetAsync(id, ct), notice), status);
            }
            catch (ApiException ex) when (ex.Status == StatusCodes.Status404NotFound)
            {
                return await NoSuchDeliveryAsync(id);
            }
        }

        Task<IResult> NoSuchDeliveryAsync(string id) => renderer.PageAsync<MessagePage>(
            new PageMessage("No such delivery", $"There is no webhook delivery {id}.", DashboardNav.SiteName, DashboardNav.Items), StatusCodes.Status404NotFound);

        async Task<TryView> TryViewAsync(HttpRequest request, CancellationToken ct) =>
            await TryView.LoadAsync(services, options.SigningKey!.PublicKey.ToBase64(), $"{request.Scheme}://{request.Host}/v2", ct);

        async Task<IResult> TryAsync(HttpRequest request, string formName, Func<IFormCollection, Task<(string What, string Filter)>> send, CancellationToken ct)
        {
            try
            {
                var sent = await send(await FormBody.ReadAsync(request, ct));
                return await renderer.PageAsync<TryPage>(await TryViewAsync(request, ct) with { Sent = sent });
            }
            catch (ApiException ex)
            {
                return await renderer.PageAsync<TryPage>(await TryViewAsync(request, ct) with { FailedForm = formName, Errors = ex.Errors }, ex.Status);
            }
        }
    }

    /// <summary>The configuration page's forms: each calls the service method its API endpoint calls, then shows the page again.</summary>
    private static void MapConfigForms(RouteGroupBuilder pages, IServiceProvider services, PageRenderer renderer)
    {
        var profiles = services.GetRequiredService<MessagingProfiles>();
        var numbers = services.GetRequiredService<PhoneNumbers>();
        var applications = services.GetRequiredService<CallControlApplications>();
        var global = services.GetRequiredService<GlobalWebhookSettings>();

        Map("/config/global-webhooks", ConfigPage.GlobalForm, "global-saved", (form, _, ct) =>
            global.SetAsync(GlobalWebhooks.Parse(FormBody.ToJson(form, ("webhook_url", FormField.TextOrNull), ("webhook_failover_url", FormField.TextOrNull))), ct));

        Map("/config/profiles", ConfigPage.NewProfileForm, "profile-created", (form, _, ct) => profiles.CreateAsync(FormBody.ToJson(form,
            ("name", FormField.Text), ("whitelisted_destinations", FormField.List), ("webhook_url", FormField.Text), ("webhook_failover_url", FormField.Text)), ct));
        Map("/config/profiles/{id}", "profile-{id}", "profile-updated", (form, id, ct) => profiles.UpdateAsync(id!, FormBody.ToJson(form,
            ("name", FormField.Text), ("webhook_url", FormField.TextOrNull), ("webhook_failover_url", FormField.TextOrNull)), ct));
        Map("/config/profiles/{id}/delete", "profile-{id}", "profile-deleted", (_, id, ct) => profiles.DeleteAsync(id!, ct));

        Map("/config/numbers", ConfigPage.NewNumberForm, "number-ordered", (form, _, ct) =>
        {
            var order = FormBody.ToObject(form, ("messaging_profile_id", FormField.Text), ("connection_id", FormField.Text));
            order["phone_numbers"] = new JsonArray(new JsonObject { ["phone_number"] = form["phone_number"].ToString().Trim() });
            return numbers.OrderAsync(FormBody.Body(order), ct);
        });
        Map("/config/numbers/{id}", "number-{id}", "number-updated", (form, id, ct) => numbers.UpdateAsync(id!, FormBody.ToJson(form,
            ("messaging_profile_id", FormField.TextOrNull), ("connection_id", FormField.TextOrNull)), ct));
        Map("/config/numbers/{id}/delete", "number-{id}", "number-deleted", (_, id, ct) => numbers.DeleteAsync(id!, ct));

        Map("/config/applications", ConfigPage.NewApplicationForm, "application-created", (form, _, ct) => applications.CreateAsync(FormBody.ToJson(form,
            ("application_name", FormField.Text), ("webhook_event_url", FormField.Text), ("webhook_event_failover_url", FormField.Text), ("webhook_timeout_secs", FormField.Integer)), ct));
        Map("/config/applications/{id}", "application-{id}", "application-updated", (form, id, ct) => applications.UpdateAsync(id!, FormBody.ToJson(form,
            ("application_name", FormField.Text), ("webhook_event_url", FormField.Text), ("webhook_event_failover_url", FormField.TextOrNull),
            ("webhook_timeout_secs", FormField.Integer)), ct));
        Map("/config/applications/{id}/delete", "application-{id}", "application-deleted", (_, id, ct) => applications.DeleteAsync(id!, ct));

        void Map(string pattern, string formName, string saved, Func<IFormCollection, string?, CancellationToken, Task> save) =>
            pages.MapPost(pattern, async (HttpRequest request, CancellationToken ct) =>
            {
                var id = request.RouteValues["id"]?.ToString();
                try
                {
                    await save(await FormBody.ReadAsync(request, ct), id, ct);
                    return Results.Redirect($"/config?saved={saved}");
                }
                catch (ApiException ex)
                {
                    var view = await ConfigView.LoadAsync(services, ct) with { FailedForm = formName.Replace("{id}", id, StringComparison.Ordinal), Errors = ex.Errors };
                    return await renderer.PageAsync<ConfigPage>(view, ex.Status);
                }
            });
    }
}
