using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Switchboard.Events;
using Switchboard.Receiver;

namespace IvrMenu;

/// <summary>
/// A phone menu on Telnyx Call Control, driven by its webhooks: it answers each incoming call (tagging it with
/// <c>client_state</c>), speaks a menu and gathers one key; 1 transfers the caller to sales (both legs get
/// <c>call.bridged</c>), 2 speaks the opening hours; no key, or a wrong one, ends the call politely.
/// Configuration: <c>Telnyx:PublicKey</c> and <c>Telnyx:ApiKey</c> (required), <c>Telnyx:ApiBaseUrl</c> (default
/// <c>https://api.telnyx.com/v2</c>; <c>switchboard serve</c>'s to test offline), <c>Telnyx:DataDirectory</c> (default
/// <c>data</c>), <c>Ivr:SalesNumber</c> (+E.164).
/// </summary>
public static class IvrApp
{
    /// <summary>The <c>client_state</c> of the calls this menu answered: the transfer's new leg carries none, so it gets no menu.</summary>
    public static readonly string MenuState = Convert.ToBase64String("ivr-menu"u8);

    public static WebApplication Create(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        var configuration = builder.Configuration;
        builder.Services.AddSingleton<CallJournal>();
        builder.Services.AddHttpClient<CallControlClient>(http =>
        {
            http.BaseAddress = new Uri((configuration["Telnyx:ApiBaseUrl"] ?? "https://api.telnyx.com/v2").TrimEnd('/') + "/");
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", configuration["Telnyx:ApiKey"]);
        });
        builder.Services.AddTelnyxWebhooks(options =>
        {
            if (configuration["Telnyx:PublicKey"] is { Length: > 0 } key)
            {
                options.PublicKeys.Add(key);
            }

            options.DataDirectory = configuration["Telnyx:DataDirectory"] ?? "data";
        })
            .On<CallInitiatedPayload>(EventTypes.CallInitiated, "ivr.answer", async (call, context, ct) =>
            {
                if (call.Direction == "incoming")
                {
                    await Act(context, call, "answer", new JsonObject { ["client_state"] = MenuState }, ct);
                }
            })
            .On<CallAnsweredPayload>(EventTypes.CallAnswered, "ivr.menu", async (call, context, ct) =>
            {
                if (call.ClientState == MenuState)
                {
                    await Act(context, call, "gather_using_speak", new JsonObject
                    {
                        ["payload"] = "Thank you for calling. Press 1 for sales, or 2 for our opening hours.",
                        ["voice"] = "female",
                        ["language"] = "en-US",
                        ["valid_digits"] = "12",
                        ["maximum_digits"] = 1,
                        ["invalid_payload"] = "Sorry, that is not an option.",
                    }, ct);
                }
            })
            .On<CallGatherEndedPayload>(EventTypes.CallGatherEnded, "ivr.choice", (gathered, context, ct) => (gathered.Status, gathered.Digits) switch
            {
                ("valid", "1") => Act(context, gathered, "transfer", new JsonObject { ["to"] = configuration["Ivr:SalesNumber"] }, ct),
                ("valid", _) => Act(context, gathered, "speak", new JsonObject { ["payload"] = "We are open nine to five, Monday to Friday.", ["voice"] = "female" }, ct),
                ("timeout" or "invalid", _) => Act(context, gathered, "hangup", new JsonObject(), ct),
                _ => Task.CompletedTask, // cancelled or call_hangup: the call is ending anyway
            })
            .On<CallBridgedPayload>(EventTypes.CallBridged, "ivr.bridged", (call, context, _) => Note(context, call, "bridged"))
            .On<CallHangupPayload>(EventTypes.CallHangup, "ivr.hangup", (call, context, _) => Note(context, call, $"hangup {call.HangupCause}"));

        var app = builder.Build();
        app.MapTelnyxWebhooks("/webhooks/telnyx");
        app.MapHealthChecks("/healthz");
        app.MapGet("/calls/{id}", (string id, CallJournal journal) => journal.Of(id) is { } steps ? Results.Ok(steps) : Results.NotFound());
        return app;
    }

    private static async Task Act(WebhookContext context, CallPayload call, string action, JsonObject body, CancellationToken cancellationToken)
    {
        await context.Services.GetRequiredService<CallControlClient>().ActAsync(call.CallControlId!, action, body, cancellationToken);
        await Note(context, call, action);
    }

    private static Task Note(WebhookContext context, CallPayload call, string step)
    {
        context.Services.GetRequiredService<CallJournal>().Add(call.CallControlId!, step);
        return Task.CompletedTask;
    }
}

/// <summary>Call Control commands: <c>POST /calls/{call_control_id}/actions/{action}</c>. A failure throws, so the webhook is handled again.</summary>
public sealed class CallControlClient(HttpClient http)
{
    public async Task ActAsync(string callControlId, string action, JsonObject body, CancellationToken cancellationToken)
    {
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync($"calls/{Uri.EscapeDataString(callControlId)}/actions/{action}", content, cancellationToken);
        response.EnsureSuccessStatusCode();
    }
}

/// <summary>What the menu did on each call, in order (in memory, as befits a sample): <c>GET /calls/{call_control_id}</c>.</summary>
public sealed class CallJournal
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _calls = new();

    public IReadOnlyList<string>? Of(string callControlId) => _calls.TryGetValue(callControlId, out var steps) ? [.. steps] : null;

    internal void Add(string callControlId, string step) => _calls.GetOrAdd(callControlId, _ => new()).Enqueue(step);
}
