using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Platform.Api;
using Switchboard.Platform.Calls;
using Switchboard.Platform.Webhooks;
using Switchboard.Web.Shared;

namespace Switchboard.Web.Dashboard;

/// <summary>
/// The Calls page: every call and its events, live; a form that rings one of the account's numbers; on a call's page,
/// a keypad and a hang-up button that act as the far end (the caller). Each form calls the service method of its
/// emulator endpoint (<c>/_switchboard/inbound_calls</c>, <c>/_switchboard/calls/{id}/dtmf|hangup</c>), so what the
/// API refuses is refused here with the same message.
/// </summary>
internal static class CallsEndpoints
{
    public static void Map(RouteGroupBuilder pages, IServiceProvider services, PageRenderer renderer, LiveUpdates live)
    {
        var callControl = services.GetRequiredService<CallControl>();
        var calls = services.GetRequiredService<CallLog>();
        var deliveries = services.GetRequiredService<WebhookDeliveries>();

        pages.MapGet("/calls", async (CancellationToken ct) => await renderer.PageAsync<CallsPage>(await CallsView.LoadAsync(services, ct)));
        pages.MapGet("/live/calls", () => live.Stream("/live/calls", async ct => await renderer.RenderAsync<CallsTable>(await CallsView.LoadAsync(services, ct))));
        pages.MapPost("/calls/ring", async (HttpRequest request, CancellationToken ct) =>
        {
            IFormCollection? form = null;
            try
            {
                form = await FormBody.ReadAsync(request, ct);
                var call = await callControl.RingAsync(FormBody.ToJson(form, ("from", FormField.Text), ("to", FormField.Text)), ct);
                return Results.Redirect(CallsView.PageOf(call.CallControlId));
            }
            catch (ApiException ex)
            {
                var view = await CallsView.LoadAsync(services, ct) with { Errors = ex.Errors };
                if (form is not null)
                {
                    view = view with { From = form["from"].ToString(), To = form["to"].ToString() };
                }

                return await renderer.PageAsync<CallsPage>(view, ex.Status);
            }
        });

        pages.MapGet("/calls/{id}", async (string id, HttpRequest request, CancellationToken ct) =>
            await CallPageAsync(id, detail => detail with { Notice = DoneNotice(request.Query) }, StatusCodes.Status200OK, ct));
        pages.MapGet("/live/calls/{id}", (string id) => live.Stream("/live/calls/" + id, async ct =>
        {
            try
            {
                return await renderer.RenderAsync<CallTimeline>(await CallDetail.LoadAsync(calls, deliveries, id, ct));
            }
            catch (ApiException ex) when (ex.Status == StatusCodes.Status404NotFound)
            {
                return "<p class=\"muted\">This call is gone (pruned).</p>";
            }
        }));
        MapFarEnd("/calls/{id}/dtmf", CallPage.KeypadForm,
            (id, form, ct) => callControl.PressAsync(id, FormBody.Body(new JsonObject { ["digits"] = KeysOf(form) }), ct), form => "pressed=" + Uri.EscapeDataString(KeysOf(form)));
        MapFarEnd("/calls/{id}/hangup", CallPage.HangupForm, (id, _, ct) => callControl.FarEndHangupAsync(id, ct), _ => "hung_up=1");

        async Task<IResult> CallPageAsync(string id, Func<CallDetail, CallDetail> with, int status, CancellationToken ct)
        {
            try
            {
                return await renderer.PageAsync<CallPage>(with(await CallDetail.LoadAsync(calls, deliveries, id, ct)), status);
            }
            catch (ApiException ex) when (ex.Status == StatusCodes.Status404NotFound)
            {
                return await renderer.PageAsync<MessagePage>(
                    new PageMessage("No such call", $"There is no call {id}.", DashboardNav.SiteName, DashboardNav.Items), StatusCodes.Status404NotFound);
            }
        }

        // A far-end action, then the call's page: done, a redirect to it saying what was done (so reloading the page does
        // not press the keys again); refused, the page with the form's errors and the API's status.
        void MapFarEnd(string pattern, string formName, Func<string, IFormCollection, CancellationToken, Task> act, Func<IFormCollection, string> done) =>
            pages.MapPost(pattern, async (string id, HttpRequest request, CancellationToken ct) =>
            {
                try
                {
                    var form = await FormBody.ReadAsync(request, ct);
                    await act(id, form, ct);
                    return Results.Redirect(CallsView.PageOf(id) + "?" + done(form));
                }
                catch (ApiException ex)
                {
                    return await CallPageAsync(id, detail => detail with { FailedForm = formName, Errors = ex.Errors }, ex.Status, ct);
                }
            });
    }

    /// <summary>
    /// The notice of a far-end action the page was redirected from. The query is anyone's to write, so only keys a press
    /// accepts (at most a keypad form's worth) are shown back.
    /// </summary>
    private static string? DoneNotice(IQueryCollection query) =>
        query["hung_up"] == "1" ? "Hung up."
        : query["pressed"].ToString() is { Length: > 0 and <= MaxNoticeKeys } keys && keys.All(IsKey) ? $"Pressed {keys}."
        : null;

    private const int MaxNoticeKeys = 64;

    private static bool IsKey(char c) => char.IsAsciiDigit(c) || c is '*' or '#' or (>= 'A' and <= 'D');

    /// <summary>The keys a keypad form presses: its button's, else the field's.</summary>
    private static string KeysOf(IFormCollection form) => form["key"].ToString() is { Length: > 0 } key ? key : form["digits"].ToString().Trim();
}
