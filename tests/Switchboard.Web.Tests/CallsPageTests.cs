using System.Text.Json.Nodes;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Switchboard.Web.Tests;

/// <summary>
/// The dashboard's Calls page in a real browser, as a person tries an IVR by hand: the page rings one of the account's
/// numbers, the test's own code answers as the application would, and the page presses keys and hangs up as the caller.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class CallsPageTests(BrowserFixture browser)
{
    /// <summary>The account's number on a Call Control application (PlatformAndReceiver's messaging number is on none).</summary>
    internal const string CallNumber = "+18445550002";

    private const string Caller = "+13125550177";

    [Fact]
    public async Task A_call_rung_from_the_form_is_listed_shows_its_events_live_takes_key_presses_and_Hang_up_ends_it()
    {
        await using var hosts = await PlatformAndReceiver.StartAsync();
        var api = hosts.Api;
        await CallApplicationWithNumberAsync(api, hosts.Listen.BaseUrl + "/webhooks/telnyx");
        var page = await browser.NewPageAsync();
        await page.GotoAsync(hosts.Serve.PageLink);
        await page.GetByRole(AriaRole.Link, new() { Name = "Calls" }).ClickAsync();
        await Expect(page.Locator("p.summary")).ToContainTextAsync("0 calls");

        await page.GetByLabel("From").FillAsync(Caller);
        await page.GetByLabel("To").FillAsync(CallNumber);
        await page.GetByRole(AriaRole.Button, new() { Name = "Ring" }).ClickAsync();

        // The call's own page: ringing, its call.initiated sent to the application.
        await Expect(page.Locator("h1")).ToHaveTextAsync("Call");
        var id = Uri.UnescapeDataString(new Uri(page.Url).AbsolutePath["/calls/".Length..]);
        Assert.StartsWith("v3:", id, StringComparison.Ordinal);
        await Expect(page.Locator("dl.facts .badge")).ToHaveTextAsync("ringing");
        await Expect(Event(page, "call.initiated")).ToContainTextAsync("incoming");
        await page.EvaluateAsync("() => { window.notReloaded = true; }");

        // The application answers and speaks its menu: the open page shows each event as it happens.
        await api.PostAsync($"/v2/calls/{Uri.EscapeDataString(id)}/actions/answer", new JsonObject());
        await Expect(Event(page, "call.answered")).ToHaveCountAsync(1);
        await Expect(page.Locator("dl.facts .badge")).ToHaveTextAsync("answered");
        await api.PostAsync($"/v2/calls/{Uri.EscapeDataString(id)}/actions/speak", new JsonObject { ["payload"] = "Press 1 for sales", ["voice"] = "female" });
        await Expect(Event(page, "call.speak.started")).ToHaveCountAsync(1);
        await Expect(Event(page, "call.speak.ended")).ToContainTextAsync("completed");
        await Expect(page.Locator("li[data-heard='said']")).ToContainTextAsync("Press 1 for sales");
        await api.PostAsync($"/v2/calls/{Uri.EscapeDataString(id)}/actions/playback_start", new JsonObject { ["audio_url"] = "https://audio.example.com/menu.wav" });
        await Expect(Event(page, "call.playback.ended")).ToHaveCountAsync(1);
        await Expect(page.Locator("li[data-heard='played']")).ToContainTextAsync("https://audio.example.com/menu.wav");
        await api.PostAsync($"/v2/calls/{Uri.EscapeDataString(id)}/actions/record_start", new JsonObject { ["format"] = "wav", ["channels"] = "single" });
        await Expect(page.Locator("dl.facts")).ToContainTextAsync("recording (wav, single)");
        Assert.True(await page.EvaluateAsync<bool>("() => window.notReloaded === true"), "the page was reloaded");

        await page.GetByRole(AriaRole.Link, new() { Name = "Calls" }).ClickAsync();
        var row = page.Locator("tr[data-call]", new() { HasText = $"{Caller} → {CallNumber}" });
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row.Locator(".badge")).ToHaveTextAsync("answered");
        await Expect(row).ToContainTextAsync("recording (wav, single)");
        await BrowserFixture.ScreenshotAsync(page, "dashboard-calls");

        // The application gathers a key with a spoken menu; the caller presses 2 on the keypad, then a sequence typed
        // in; each key one call.dtmf.received.
        await row.GetByRole(AriaRole.Link).ClickAsync();
        await api.PostAsync($"/v2/calls/{Uri.EscapeDataString(id)}/actions/gather_using_speak",
            new JsonObject { ["payload"] = "For support press 2", ["voice"] = "female", ["maximum_digits"] = 1 });
        await Expect(page.Locator("li[data-heard='said']").Last).ToContainTextAsync("For support press 2");
        await Expect(page.Locator("dl.facts")).ToContainTextAsync("gathering keys");
        await page.GetByRole(AriaRole.Button, new() { Name = "Press 2", Exact = true }).ClickAsync();
        await Expect(page.Locator("p.notice")).ToHaveTextAsync("Pressed 2.");
        await Expect(Event(page, "call.gather.ended")).ToContainTextAsync("digits 2");
        await Expect(Event(page, "call.gather.ended")).ToContainTextAsync("status valid");
        await page.GetByLabel("Keys", new() { Exact = true }).FillAsync("2#");
        await page.GetByRole(AriaRole.Button, new() { Name = "Press", Exact = true }).ClickAsync();
        await Expect(Event(page, "call.dtmf.received")).ToHaveCountAsync(3);
        await Expect(Event(page, "call.dtmf.received").Locator(".detail:has-text('digit') code")).ToHaveTextAsync(["2", "2", "#"]);

        // The press answered with a redirect to the call's page (a GET): reloading it shows the notice and presses
        // nothing again (the count of key presses is checked once more after the hang-up's events are in).
        Assert.EndsWith("?pressed=2%23", page.Url, StringComparison.Ordinal);
        await page.ReloadAsync();
        await Expect(page.Locator("p.notice")).ToHaveTextAsync("Pressed 2#.");

        await page.GetByRole(AriaRole.Button, new() { Name = "Hang up" }).ClickAsync();
        await Expect(page.Locator("p.notice")).ToHaveTextAsync("Hung up.");
        await Expect(Event(page, "call.hangup")).ToContainTextAsync("normal_clearing");
        await Expect(Event(page, "call.recording.saved")).ToHaveCountAsync(1);
        await Expect(page.Locator("dl.facts .badge")).ToHaveTextAsync("ended");
        await Expect(Event(page, "call.dtmf.received")).ToHaveCountAsync(3);
        await BrowserFixture.ScreenshotAsync(page, "dashboard-call");

        var ended = await api.GetAsync($"/v2/calls/{Uri.EscapeDataString(id)}");
        Assert.False(ended.GetProperty("is_alive").GetBoolean());
    }

    [Fact]
    public async Task Ringing_a_number_that_is_not_the_accounts_pressing_a_key_no_keypad_has_or_hanging_up_an_ended_call_says_why()
    {
        await using var hosts = await PlatformAndReceiver.StartAsync();
        await CallApplicationWithNumberAsync(hosts.Api, hosts.Listen.BaseUrl + "/webhooks/telnyx");
        var page = await browser.NewPageAsync();
        await page.GotoAsync(hosts.Serve.PageLink);
        await page.GotoAsync(hosts.Serve.BaseUrl + "/calls");

        await page.GetByLabel("To").FillAsync("+18445559999");
        var refused = await page.RunAndWaitForResponseAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Ring" }).ClickAsync(), IsPost);
        Assert.Equal(422, refused.Status);
        await Expect(page.Locator(".errors")).ToContainTextAsync("phone number '+18445559999' does not exist (to)");
        // The form keeps what was typed.
        await Expect(page.GetByLabel("To")).ToHaveValueAsync("+18445559999");

        // The messaging number is the account's, but on no Call Control application.
        await page.GetByLabel("To").FillAsync(ApiClient.From);
        await page.GetByRole(AriaRole.Button, new() { Name = "Ring" }).ClickAsync();
        await Expect(page.Locator(".errors")).ToContainTextAsync("is on no call control application");
        await Expect(page.Locator("p.summary")).ToContainTextAsync("0 calls");
        await BrowserFixture.ScreenshotAsync(page, "dashboard-calls-refused");

        await page.GetByLabel("To").FillAsync(CallNumber);
        await page.GetByRole(AriaRole.Button, new() { Name = "Ring" }).ClickAsync();
        await page.GetByLabel("Keys", new() { Exact = true }).FillAsync("12x");
        var callPage = page.Url;
        var badKeys = await page.RunAndWaitForResponseAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Press", Exact = true }).ClickAsync(), IsPost);
        Assert.Equal(422, badKeys.Status);
        await Expect(page.Locator(".errors")).ToContainTextAsync("digits must be keys of a phone's keypad (0-9, *, #, A-D); got '12x' (digits)");
        await BrowserFixture.ScreenshotAsync(page, "dashboard-call-bad-keys");
        await Expect(Event(page, "call.dtmf.received")).ToHaveCountAsync(0);

        await page.GetByRole(AriaRole.Button, new() { Name = "Hang up" }).ClickAsync();
        await Expect(page.Locator("p.notice")).ToHaveTextAsync("Hung up.");
        var again = await page.RunAndWaitForResponseAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Hang up" }).ClickAsync(), IsPost);
        Assert.Equal(422, again.Status);
        await Expect(page.Locator(".errors")).ToContainTextAsync("no command can act on it");

        // The notice after a press comes from the query, which anyone can write: only keys a press accepts are shown.
        await page.GotoAsync(callPage + "?pressed=" + Uri.EscapeDataString("12<b>x</b>"));
        await Expect(page.Locator("dl.facts .badge")).ToHaveTextAsync("ended");
        await Expect(page.Locator("p.notice")).ToHaveCountAsync(0);

        var missing = await page.GotoAsync(hosts.Serve.BaseUrl + "/calls/v3%3Ano-such-call");
        Assert.Equal(404, missing!.Status);
        await Expect(page.Locator("h1")).ToHaveTextAsync("No such call");
    }

    [Fact]
    public async Task A_caller_name_with_script_and_a_bidi_override_shows_as_escaped_text_at_a_phones_width()
    {
        await using var hosts = await PlatformAndReceiver.StartAsync();
        await CallApplicationWithNumberAsync(hosts.Api, hosts.Listen.BaseUrl + "/webhooks/telnyx");
        const string Name = "<script>alert(1)</script>evil\u202Etxt.exe";
        var call = await hosts.Api.PostAsync("/_switchboard/inbound_calls", new JsonObject { ["from"] = Caller, ["to"] = CallNumber, ["caller_id_name"] = Name });
        var page = await browser.NewPageAsync(phone: true);
        var dialogs = 0;
        page.Dialog += async (_, dialog) =>
        {
            dialogs++;
            await dialog.DismissAsync();
        };

        await page.GotoAsync(hosts.Serve.PageLink);
        await page.GotoAsync(hosts.Serve.BaseUrl + "/calls/" + Uri.EscapeDataString(call.GetProperty("call_control_id").GetString()!));

        await Expect(page.Locator("dl.facts")).ToContainTextAsync("<script>alert(1)</script>evil\\u202Etxt.exe");
        Assert.DoesNotContain("\u202E", await page.Locator("main").InnerTextAsync(), StringComparison.Ordinal);
        await Expect(page.Locator("main script")).ToHaveCountAsync(0);
        await BrowserFixture.ScreenshotAsync(page, "phone-width-call");
        Assert.Equal(0, dialogs);
    }

    private static bool IsPost(IResponse response) => response.Request.Method == "POST";

    private static ILocator Event(IPage page, string eventType) => page.Locator($"li[data-event='{eventType}']");

    /// <summary>A Call Control application whose webhooks go to <paramref name="webhookUrl"/>, and <see cref="CallNumber"/> on it.</summary>
    internal static async Task CallApplicationWithNumberAsync(ApiClient api, string webhookUrl)
    {
        var application = await api.PostAsync("/v2/call_control_applications", new JsonObject
        {
            ["application_name"] = "web tests IVR",
            ["webhook_event_url"] = webhookUrl,
        });
        await api.PostAsync("/v2/number_orders", new JsonObject
        {
            ["phone_numbers"] = new JsonArray(new JsonObject { ["phone_number"] = CallNumber }),
            ["connection_id"] = application.GetProperty("id").GetString(),
        });
    }
}
