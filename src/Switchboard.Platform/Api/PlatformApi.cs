using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Switchboard.Platform.Calls;
using Switchboard.Platform.Messaging;
using Switchboard.Platform.Numbers;
using Switchboard.Platform.Webhooks;

namespace Switchboard.Platform.Api;

/// <summary>
/// The Telnyx-compatible API under <c>/v2</c>, and the emulator's own endpoints under <c>/_switchboard</c> (same API
/// key). Handlers only read the request and shape the answer; the services decide, and refuse with
/// <see cref="ApiException"/>. See docs/platform.md for the subset of Telnyx's API emulated.
/// </summary>
public static class PlatformApi
{
    public const string EmulatorPrefix = "/_switchboard";

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        var v2 = endpoints.MapGroup("/v2").AddEndpointFilter<ApiErrorFilter>().AddEndpointFilter<ApiKeyFilter>();
        MapMessagingProfiles(v2.MapGroup("/messaging_profiles"));
        MapNumbers(v2);
        MapMessages(v2.MapGroup("/messages"));
        MapWebhookDeliveries(v2.MapGroup("/webhook_deliveries"));
        MapCallControlApplications(v2.MapGroup("/call_control_applications"));
        MapCalls(v2.MapGroup("/calls"));
        v2.Map("/{**path}", (HttpContext context) => ApiResults.Error(new ApiException(404, new ApiError(ApiErrors.NotFoundCode, "Resource not found",
            $"{context.Request.Method} /v2/{ApiErrors.Printable(context.Request.RouteValues["path"]?.ToString() ?? "")} is not part of the Telnyx API that Switchboard emulates (see docs/platform.md)"))));

        var emulator = endpoints.MapGroup(EmulatorPrefix).AddEndpointFilter<ApiErrorFilter>().AddEndpointFilter<ApiKeyFilter>();
        MapEmulator(emulator);
    }

    private static void MapMessagingProfiles(RouteGroupBuilder profiles)
    {
        profiles.MapGet("/", async (HttpRequest request, MessagingProfiles service, CancellationToken ct) =>
        {
            var paging = ApiResults.ReadPaging(request);
            var filters = ApiResults.ReadFilters(request);
            var name = filters.GetValueOrDefault("filter[name][eq]") ?? filters.GetValueOrDefault("filter[name]");
            var (items, total) = await service.ListAsync(paging.Number, paging.Size, name, filters.GetValueOrDefault("filter[name][contains]"), ct);
            return ApiResults.List(items, paging, total);
        });
        profiles.MapPost("/", async (HttpRequest request, MessagingProfiles service, CancellationToken ct) =>
            ApiResults.Data(await service.CreateAsync(await JsonBody.ReadAsync(request, ct), ct)));
        profiles.MapGet("/{id}", async (string id, MessagingProfiles service, CancellationToken ct) => ApiResults.Data(await service.GetAsync(id, ct)));
        profiles.MapPatch("/{id}", async (string id, HttpRequest request, MessagingProfiles service, CancellationToken ct) =>
            ApiResults.Data(await service.UpdateAsync(id, await JsonBody.ReadAsync(request, ct), ct)));
        profiles.MapDelete("/{id}", async (string id, MessagingProfiles service, CancellationToken ct) => ApiResults.Data(await service.DeleteAsync(id, ct)));
        profiles.MapGet("/{id}/phone_numbers", async (string id, HttpRequest request, MessagingProfiles profilesService, PhoneNumbers numbers, CancellationToken ct) =>
        {
            await profilesService.GetAsync(id, ct);
            var paging = ApiResults.ReadPaging(request);
            var (items, total) = await numbers.ListAsync(paging.Number, paging.Size, messagingProfileId: id, cancellationToken: ct);
            return ApiResults.List(items, paging, total);
        });
    }

    private static void MapNumbers(RouteGroupBuilder v2)
    {
        v2.MapPost("/number_orders", async (HttpRequest request, PhoneNumbers service, CancellationToken ct) =>
            ApiResults.Data(await service.OrderAsync(await JsonBody.ReadAsync(request, ct), ct)));
        v2.MapGet("/number_orders/{id}", async (string id, PhoneNumbers service, CancellationToken ct) => ApiResults.Data(await service.GetOrderAsync(id, ct)));
        var numbers = v2.MapGroup("/phone_numbers");
        numbers.MapGet("/", async (HttpRequest request, PhoneNumbers service, CancellationToken ct) =>
        {
            var paging = ApiResults.ReadPaging(request);
            var filters = ApiResults.ReadFilters(request);
            var (items, total) = await service.ListAsync(paging.Number, paging.Size,
                filters.GetValueOrDefault("filter[phone_number]"), filters.GetValueOrDefault("filter[messaging_profile_id]"), filters.GetValueOrDefault("filter[connection_id]"), ct);
            return ApiResults.List(items, paging, total);
        });
        numbers.MapGet("/{id}", async (string id, PhoneNumbers service, CancellationToken ct) => ApiResults.Data(await service.GetAsync(id, ct)));
        numbers.MapPatch("/{id}", async (string id, HttpRequest request, PhoneNumbers service, CancellationToken ct) =>
            ApiResults.Data(await service.UpdateAsync(id, await JsonBody.ReadAsync(request, ct), ct)));
        numbers.MapDelete("/{id}", async (string id, PhoneNumbers service, CancellationToken ct) => ApiResults.Data(await service.DeleteAsync(id, ct)));
        numbers.MapGet("/{id}/messaging", async (string id, PhoneNumbers service, CancellationToken ct) =>
            ApiResults.Data(PhoneNumberMessagingSettings.From(await service.GetAsync(id, ct))));
        numbers.MapPatch("/{id}/messaging", async (string id, HttpRequest request, PhoneNumbers service, CancellationToken ct) =>
            ApiResults.Data(PhoneNumberMessagingSettings.From(await service.UpdateMessagingAsync(id, await JsonBody.ReadAsync(request, ct), ct))));
    }

    private static void MapMessages(RouteGroupBuilder messages)
    {
        Delegate send = async (HttpRequest request, Messages service, CancellationToken ct) =>
            ApiResults.Message((await service.SendAsync(await JsonBody.ReadAsync(request, ct), ct)).Message);
        messages.MapPost("/", send);
        messages.MapPost("/long_code", send);
        messages.MapGet("/{id}", async (string id, Messages service, CancellationToken ct) => ApiResults.Message((await service.GetAsync(id, ct)).Message));
    }

    private static void MapCallControlApplications(RouteGroupBuilder applications)
    {
        applications.MapGet("/", async (HttpRequest request, CallControlApplications service, CancellationToken ct) =>
        {
            var paging = ApiResults.ReadPaging(request);
            var filters = ApiResults.ReadFilters(request);
            var (items, total) = await service.ListAsync(paging.Number, paging.Size, filters.GetValueOrDefault("filter[application_name][contains]"), ct);
            return ApiResults.List(items, paging, total);
        });
        applications.MapPost("/", async (HttpRequest request, CallControlApplications service, CancellationToken ct) =>
            ApiResults.Data(await service.CreateAsync(await JsonBody.ReadAsync(request, ct), ct), StatusCodes.Status201Created));
        applications.MapGet("/{id}", async (string id, CallControlApplications service, CancellationToken ct) => ApiResults.Data(await service.GetAsync(id, ct)));
        applications.MapPatch("/{id}", async (string id, HttpRequest request, CallControlApplications service, CancellationToken ct) =>
            ApiResults.Data(await service.UpdateAsync(id, await JsonBody.ReadAsync(request, ct), ct)));
        applications.MapDelete("/{id}", async (string id, CallControlApplications service, CancellationToken ct) => ApiResults.Data(await service.DeleteAsync(id, ct)));
    }

    private static void MapCalls(RouteGroupBuilder calls)
    {
        calls.MapPost("/", async (HttpRequest request, CallControl service, CancellationToken ct) =>
            ApiResults.Data(await service.DialAsync(await JsonBody.ReadAsync(request, ct), ct)));
        calls.MapGet("/{callControlId}", async (string callControlId, CallControl service, CancellationToken ct) =>
            ApiResults.Data(await service.GetStatusAsync(callControlId, ct)));
        calls.MapPost("/{callControlId}/actions/{action}", async (string callControlId, string action, HttpRequest request, CallControl service, CancellationToken ct) =>
        {
            // Commands whose fields are all optional may come without a body.
            var body = request.ContentLength is 0 || (request.ContentLength is null && request.ContentType is null) ? JsonBody.Empty : await JsonBody.ReadAsync(request, ct);
            return ApiResults.Data(await service.CommandAsync(callControlId, action, body, ct));
        });
        calls.MapPut("/{callControlId}/actions/client_state_update", async (string callControlId, HttpRequest request, CallControl service, CancellationToken ct) =>
            ApiResults.Data(await service.UpdateClientStateAsync(callControlId, await JsonBody.ReadAsync(request, ct), ct)));
    }

    /// <summary>A recording's audio, behind a pre-signed link (no API key, as Telnyx's recording URLs); HEAD too, for players and download managers.</summary>
    public static void MapRecordings(IEndpointRouteBuilder endpoints) =>
        endpoints.MapMethods(RecordingLinks.PathPrefix + "{file}", [HttpMethods.Get, HttpMethods.Head], async (string file, HttpContext context, RecordingLinks links, Recordings recordings, CancellationToken ct) =>
        {
            if (!links.IsValid(file, context.Request.Query["expires"], context.Request.Query["signature"]))
            {
                return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "The link is not valid", detail: "recording links are signed and expire after a day; fetch a fresh one from the webhook or the API");
            }

            return await recordings.AudioAsync(file, ct) ?? Results.NotFound();
        });

    private static void MapWebhookDeliveries(RouteGroupBuilder deliveries)
    {
        deliveries.MapGet("/", async (HttpRequest request, WebhookDeliveries service, CancellationToken ct) =>
        {
            var paging = ApiResults.ReadPaging(request);
            var (items, total) = await service.ListAsync(paging.Number, paging.Size, ApiResults.ReadFilters(request), ct);
            return ApiResults.List(items, paging, total);
        });
        deliveries.MapGet("/{id}", async (string id, WebhookDeliveries service, CancellationToken ct) => ApiResults.Data(await service.GetAsync(id, ct)));
    }

    private static void MapEmulator(RouteGroupBuilder emulator)
    {
        emulator.MapGet("/global_webhooks", async (GlobalWebhookSettings settings, CancellationToken ct) => ApiResults.Data(await settings.GetAsync(ct)));
        emulator.MapPut("/global_webhooks", async (HttpRequest request, GlobalWebhookSettings settings, CancellationToken ct) =>
            ApiResults.Data(await settings.SetAsync(GlobalWebhooks.Parse(await JsonBody.ReadAsync(request, ct)), ct)));
        emulator.MapPost("/inbound_calls", async (HttpRequest request, CallControl service, CancellationToken ct) =>
            ApiResults.Data(await service.RingAsync(await JsonBody.ReadAsync(request, ct), ct)));
        emulator.MapPost("/calls/{callControlId}/dtmf", async (string callControlId, HttpRequest request, CallControl service, CancellationToken ct) =>
            ApiResults.Data(await service.PressAsync(callControlId, await JsonBody.ReadAsync(request, ct), ct)));
        emulator.MapPost("/calls/{callControlId}/hangup", async (string callControlId, CallControl service, CancellationToken ct) =>
            ApiResults.Data(await service.FarEndHangupAsync(callControlId, ct)));
        emulator.MapPost("/inbound_messages", async (HttpRequest request, Messages service, CancellationToken ct) =>
            ApiResults.Message((await service.ReceiveAsync(await JsonBody.ReadAsync(request, ct), ct)).Message));
        emulator.MapPost("/webhook_deliveries/{id}/redeliver", async (string id, WebhookDeliveries service, CancellationToken ct) =>
            ApiResults.Data(await service.RedeliverAsync(id, ct)));
        emulator.MapPost("/webhook_deliveries/redeliver_failed", async (HttpRequest request, WebhookDeliveries service, CancellationToken ct) =>
        {
            var body = await JsonBody.ReadAsync(request, ct);
            var sinceText = body.String("since", required: true, maxLength: 64);
            var since = DateTimeOffset.MinValue;
            if (sinceText is not null && !DateTimeOffset.TryParse(sinceText, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out since))
            {
                body.Add(ApiErrors.Invalid(body.Pointer("since"), $"since must be an ISO 8601 time; got '{ApiErrors.Printable(sinceText)}'"));
            }

            body.ThrowIfInvalid();
            return ApiResults.Data(await service.RedeliverFailedAsync(since, ct));
        });
    }
}
