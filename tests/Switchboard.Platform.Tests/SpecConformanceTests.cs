using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Switchboard.Platform.Api;
using Switchboard.Platform.Tests.Support;

namespace Switchboard.Platform.Tests;

/// <summary>
/// Shapes and statuses that Telnyx's OpenAPI spec decides (tests/interop/spec-conformance.test.js checks every
/// operation against the spec; these pin the fixes): list errors with the status each list declares, optional strings
/// left out rather than null, Telnyx's fixed sub-paths never taken for an id, and Telnyx's event set on request.
/// </summary>
public sealed class SpecConformanceTests : IAsyncLifetime
{
    private WebhookSink _sink = null!;
    private PlatformApp _platform = null!;

    public async Task InitializeAsync()
    {
        _sink = await WebhookSink.StartAsync();
        _platform = await PlatformApp.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _platform.DisposeAsync();
        await _sink.DisposeAsync();
    }

    [Theory]
    [InlineData("/v2/webhook_deliveries?page[size]=251", 422, "page[size]")]
    [InlineData("/v2/webhook_deliveries?page[number]=0", 422, "page[number]")]
    [InlineData("/v2/webhook_deliveries?filter[status][eq]=lost", 422, "filter[status][eq]")]
    [InlineData("/v2/webhook_deliveries?filter[webhook][contains]=a%00b", 422, "filter[webhook][contains]")]
    [InlineData("/v2/messaging_profiles?page[size]=251", 400, "page[size]")]
    [InlineData("/v2/phone_numbers?page[size]=251", 400, "page[size]")]
    [InlineData("/v2/call_control_applications?page[size]=251", 400, "page[size]")]
    public async Task A_list_refuses_a_bad_query_with_the_status_its_spec_declares(string path, int status, string parameter)
    {
        var (got, json) = await _platform.SendAsync(HttpMethod.Get, path);

        Assert.Equal((status, parameter), (got, json.GetProperty("errors")[0].GetProperty("source").GetProperty("parameter").GetString()));
    }

    [Fact]
    public async Task An_application_without_an_outbound_voice_profile_leaves_the_field_out_and_keeps_the_null_defaults()
    {
        var created = await _platform.PostAsync("/v2/call_control_applications", new JsonObject { ["application_name"] = "spec", ["webhook_event_url"] = _sink.Url("/calls") });
        var fetched = await _platform.GetAsync($"/v2/call_control_applications/{created.GetProperty("id").GetString()}");

        foreach (var application in new[] { created, fetched })
        {
            Assert.False(application.GetProperty("outbound").TryGetProperty("outbound_voice_profile_id", out _));
            // The spec's default is null for these (typed integer and string): Telnyx sends null.
            Assert.Equal(System.Text.Json.JsonValueKind.Null, application.GetProperty("outbound").GetProperty("channel_limit").ValueKind);
            Assert.Equal(System.Text.Json.JsonValueKind.Null, application.GetProperty("inbound").GetProperty("channel_limit").ValueKind);
            Assert.Equal(System.Text.Json.JsonValueKind.Null, application.GetProperty("inbound").GetProperty("sip_subdomain").ValueKind);
        }
    }

    [Theory]
    [InlineData("GET", "/v2/phone_numbers/slim")]
    [InlineData("GET", "/v2/phone_numbers/jobs")]
    [InlineData("GET", "/v2/phone_numbers/csv_downloads")]
    [InlineData("PATCH", "/v2/phone_numbers/actions")]
    [InlineData("DELETE", "/v2/phone_numbers/jobs")]
    [InlineData("GET", "/v2/messages/group_mms")]
    [InlineData("GET", "/v2/messages/schedule")]
    public async Task A_fixed_sub_path_of_Telnyx_answers_not_emulated_rather_than_a_missing_id(string method, string path)
    {
        var (status, json) = await _platform.SendAsync(new HttpMethod(method), path, method == "PATCH" ? "{}" : null);

        var detail = json.GetProperty("errors")[0].GetProperty("detail").GetString();
        Assert.Equal(404, status);
        Assert.Contains("is not part of the Telnyx API that Switchboard emulates", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("does not exist", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_literal_route_for_a_fixed_sub_path_wins_and_ids_still_reach_the_parameter_route()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        await using var app = builder.Build();
        var numbers = app.MapGroup("/v2").AddEndpointFilter<TelnyxFixedPaths>().MapGroup("/phone_numbers");
        numbers.MapGet("/{id}", (string id) => $"number {id}");
        numbers.MapGet("/messaging", () => "the messaging settings of every number");
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        Assert.Equal("the messaging settings of every number", await client.GetStringAsync("/v2/phone_numbers/messaging"));
        Assert.Equal("number 123", await client.GetStringAsync("/v2/phone_numbers/123"));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v2/phone_numbers/voice")).StatusCode);
    }
}

/// <summary><c>serve --telnyx-events</c>: Telnyx's message event set for profiles that do not choose theirs.</summary>
public sealed class TelnyxEventSetTests : IAsyncLifetime
{
    private WebhookSink _sink = null!;
    private PlatformApp _platform = null!;

    public async Task InitializeAsync()
    {
        _sink = await WebhookSink.StartAsync();
        _platform = await PlatformApp.StartAsync(o => o.TelnyxEvents = true);
    }

    public async Task DisposeAsync()
    {
        await _platform.DisposeAsync();
        await _sink.DisposeAsync();
    }

    private async Task<IReadOnlyList<string>> EventsOfAsync(string number, string to)
    {
        var id = (await _platform.PostAsync("/v2/messages", new JsonObject { ["from"] = number, ["to"] = to, ["text"] = "hi" })).GetProperty("id").GetString()!;
        var webhooks = await Eventually.GetAsync(
            () => Task.FromResult(_sink.For(id) is { } got && got.Any(w => w.EventType == "message.finalized") ? got : null), $"message.finalized of {id}");
        return [.. webhooks.Select(w => w.EventType)];
    }

    [Fact]
    public async Task A_profile_that_does_not_choose_gets_no_message_delivered_or_failed_and_finalized_carries_the_outcome()
    {
        var (_, number) = await _platform.ProfileWithNumberAsync(_sink.Url("/hooks"));

        Assert.Equal(["message.sent", "message.finalized"], await EventsOfAsync(number, "+13125550100"));
        Assert.Equal(["message.sent", "message.finalized"], await EventsOfAsync(number, "+13125550101"));
    }

    [Fact]
    public async Task A_profile_that_chooses_the_seeds_events_still_gets_them()
    {
        var (profileId, number) = await _platform.ProfileWithNumberAsync(_sink.Url("/hooks"), number: "+18445550002");
        await _platform.OkAsync(HttpMethod.Patch, $"/v2/messaging_profiles/{profileId}",
            new JsonObject { ["switchboard_event_types"] = new JsonArray("message.sent", "message.delivered", "message.failed", "message.finalized") });

        Assert.Equal(["message.sent", "message.delivered", "message.finalized"], await EventsOfAsync(number, "+13125550100"));
    }
}
