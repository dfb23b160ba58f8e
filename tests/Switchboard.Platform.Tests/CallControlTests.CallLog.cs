using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Platform.Api;
using Switchboard.Platform.Calls;

namespace Switchboard.Platform.Tests;

/// <summary>What the dashboard's Calls page reads: the stored calls, newest first, and what each call heard, bounded.</summary>
public sealed partial class CallControlTests
{
    [Fact]
    public async Task The_call_log_lists_calls_newest_first_and_a_call_keeps_the_last_things_it_heard_cut_short()
    {
        var log = _platform.Services.GetRequiredService<CallLog>();
        var first = await RingAsync("+13125550101");
        _clock!.Advance(TimeSpan.FromMilliseconds(1)); // the fake clock stands still: the second call comes later
        var second = await RingAsync("+13125550102");
        await CommandAsync(second, "answer");
        for (var i = 1; i <= CallPrompt.Kept + 5; i++)
        {
            await CommandAsync(second, "speak", new JsonObject { ["payload"] = $"prompt {i}", ["voice"] = "female" });
        }

        await CommandAsync(second, "speak", new JsonObject { ["payload"] = new string('a', 3000), ["voice"] = "female" });
        await CommandAsync(second, "playback_start", new JsonObject { ["audio_url"] = "https://audio.example.com/menu.wav" });

        var (calls, total) = await log.ListAsync(10);
        Assert.Equal(2, total);
        Assert.Equal([second, first], calls.Select(c => c.CallControlId));

        var heard = (await log.GetAsync(second)).Prompts;
        Assert.Equal(CallPrompt.Kept, heard.Count);
        Assert.Equal(("speak", "prompt 8"), (heard[0].Kind, heard[0].Text));
        Assert.Equal(new string('a', CallPrompt.KeptLength) + "…", heard[^2].Text);
        Assert.Equal(("playback", "https://audio.example.com/menu.wav"), (heard[^1].Kind, heard[^1].Text));
        Assert.Empty((await log.GetAsync(first)).Prompts);

        var missing = await Assert.ThrowsAsync<ApiException>(() => log.GetAsync("v3:no-such-call"));
        Assert.Equal(404, missing.Status);

        async Task<string> RingAsync(string from) =>
            (await _platform.PostAsync("/_switchboard/inbound_calls", new JsonObject { ["from"] = from, ["to"] = Number })).GetProperty("call_control_id").GetString()!;
    }
}
