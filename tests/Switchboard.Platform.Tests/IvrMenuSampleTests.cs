using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IvrMenu;
using Microsoft.AspNetCore.Builder;
using Switchboard.Platform.Tests.Support;

namespace Switchboard.Platform.Tests;

/// <summary>The sample IVR (samples/IvrMenu) against an in-process <c>serve</c>: a caller hears the menu, presses 1, is transferred to sales, hangs up.</summary>
public sealed class IvrMenuSampleTests
{
    private const string Number = "+18445550002";

    [Fact]
    public async Task A_caller_pressing_1_is_transferred_to_sales_and_hanging_up_ends_both_legs()
    {
        await using var platform = await PlatformApp.StartAsync(options => options.LifecycleDelay = TimeSpan.FromMilliseconds(50));
        var data = Directory.CreateTempSubdirectory("switchboard-ivr-sample-").FullName;
        await using var ivr = IvrApp.Create([
            "--urls=http://127.0.0.1:0",
            $"--Telnyx:PublicKey={platform.PublicKey}",
            $"--Telnyx:ApiKey={PlatformApp.ApiKey}",
            $"--Telnyx:ApiBaseUrl={new Uri(platform.Client.BaseAddress!, "/v2")}",
            $"--Telnyx:DataDirectory={data}",
            "--Ivr:SalesNumber=+13125550199",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await ivr.StartAsync();
        using var ivrClient = new HttpClient { BaseAddress = new Uri(ivr.Urls.Single()) };
        var application = (await platform.PostAsync("/v2/call_control_applications", new JsonObject
        {
            ["application_name"] = "ivr sample",
            ["webhook_event_url"] = new Uri(ivrClient.BaseAddress, "/webhooks/telnyx").ToString(),
        })).GetProperty("id").GetString()!;
        await platform.PostAsync("/v2/number_orders", new JsonObject
        {
            ["phone_numbers"] = new JsonArray(new JsonObject { ["phone_number"] = Number }),
            ["connection_id"] = application,
        });
        async Task<IReadOnlyList<string>> JournalUntilAsync(string id, string step) =>
            await Eventually.GetAsync(async () =>
            {
                using var response = await ivrClient.GetAsync($"/calls/{Uri.EscapeDataString(id)}");
                var steps = response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<List<string>>() : null;
                return steps?.Contains(step) == true ? steps : null;
            }, $"'{step}' in the sample's journal of {id}");

        var call = (await platform.PostAsync("/_switchboard/inbound_calls", new JsonObject { ["from"] = "+13125550100", ["to"] = Number })).GetProperty("call_control_id").GetString()!;
        await JournalUntilAsync(call, "gather_using_speak");
        await platform.PostAsync($"/_switchboard/calls/{Uri.EscapeDataString(call)}/dtmf", new JsonObject { ["digits"] = "1" });
        await JournalUntilAsync(call, "bridged");
        await platform.PostAsync($"/_switchboard/calls/{Uri.EscapeDataString(call)}/hangup", new JsonObject());

        Assert.Equal(["answer", "gather_using_speak", "transfer", "bridged", "hangup normal_clearing"], await JournalUntilAsync(call, "hangup normal_clearing"));
        await Eventually.TrueAsync(async () => await platform.CountResourcesAsync("call") == 2, "the transfer's leg");
        await ivr.StopAsync();
    }
}
