using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Platform.Api;
using Switchboard.Platform.Calls;
using Switchboard.Platform.Tests.Support;

namespace Switchboard.Platform.Tests;

/// <summary>What the dashboard's Calls page reads: the stored calls, newest first, and what each call heard, bounded.</summary>
public sealed class CallLogTests : IAsyncLifetime
{
    private const string Number = "+18445550001";
    private PlatformApp _platform = null!;
    private WebhookSink _sink = null!;

    public async Task InitializeAsync()
    {
        _sink = await WebhookSink.StartAsync();
        _platform = await PlatformApp.StartAsync(options => options.LifecycleDelay = TimeSpan.FromMilliseconds(20));
        var application = (await _platform.PostAsync("/v2/call_control_applications",
            new JsonObject { ["application_name"] = "calls", ["webhook_event_url"] = _sink.Url("/calls") })).GetProperty("id").GetString()!;
        await _platform.PostAsync("/v2/number_orders", new JsonObject
        {
            ["phone_numbers"] = new JsonArray(new JsonObject { ["phone_number"] = Number }),
            ["connection_id"] = application,
        });
    }

    public async Task DisposeAsync()
    {
        await _platform.DisposeAsync();
        await _sink.DisposeAsync();
    }

    [Fact]
    public async Task Calls_are_listed_newest_first_and_a_call_keeps_the_last_20_things_it_heard()
    {
        var log = _platform.Services.GetRequiredService<CallLog>();
        var first = await RingAsync("+13125550101");
        var second = await RingAsync("+13125550102");
        await _platform.PostAsync($"/v2/calls/{Uri.EscapeDataString(second)}/actions/answer", new JsonObject());
        for (var i = 1; i <= CallPrompt.Kept + 5; i++)
        {
            await _platform.PostAsync($"/v2/calls/{Uri.EscapeDataString(second)}/actions/speak", new JsonObject { ["payload"] = $"prompt {i}", ["voice"] = "female" });
        }

        await _platform.PostAsync($"/v2/calls/{Uri.EscapeDataString(second)}/actions/playback_start", new JsonObject { ["audio_url"] = "https://audio.example.com/menu.wav" });

        var (calls, total) = await log.ListAsync(10);
        Assert.Equal(2, total);
        Assert.Equal([second, first], calls.Select(c => c.CallControlId));

        var heard = (await log.GetAsync(second)).Prompts;
        Assert.Equal(CallPrompt.Kept, heard.Count);
        Assert.Equal(("speak", "prompt 7"), (heard[0].Kind, heard[0].Text));
        Assert.Equal(("playback", "https://audio.example.com/menu.wav"), (heard[^1].Kind, heard[^1].Text));
        Assert.Empty((await log.GetAsync(first)).Prompts);

        var missing = await Assert.ThrowsAsync<ApiException>(() => log.GetAsync("v3:no-such-call"));
        Assert.Equal(404, missing.Status);
    }

    private async Task<string> RingAsync(string from) =>
        (await _platform.PostAsync("/_switchboard/inbound_calls", new JsonObject { ["from"] = from, ["to"] = Number })).GetProperty("call_control_id").GetString()!;
}
