using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Switchboard.Web.Tests;

/// <summary>The platform's dashboard in a real browser, on <c>switchboard serve</c> delivering to <c>switchboard listen</c>.</summary>
[Collection(BrowserCollection.Name)]
public sealed partial class DashboardTests(BrowserFixture browser)
{
    [Fact]
    public async Task A_message_sent_through_the_API_shows_its_deliveries_live_and_Redeliver_adds_an_attempt()
    {
        await using var hosts = await PlatformAndReceiver.StartAsync();
        var (serve, api) = (hosts.Serve, hosts.Api);
        var page = await browser.NewPageAsync();
        await page.GotoAsync(serve.PageLink);
        await Expect(page.Locator("p.summary")).ToContainTextAsync("0 deliveries");
        await page.EvaluateAsync("() => { window.notReloaded = true; }");

        var messageId = await api.SendAsync("+13125550100", "Hello from the browser test");

        // message.sent, message.delivered and message.finalized, pushed to the open page (not reloaded: checked below).
        var rows = page.Locator("tr[data-delivery]", new() { HasText = messageId });
        await Expect(rows).ToHaveCountAsync(3);
        Assert.True(await page.EvaluateAsync<bool>("() => window.notReloaded === true"), "the page was reloaded");
        await Expect(page.Locator("tr[data-status='delivered']")).ToHaveCountAsync(3);
        await BrowserFixture.ScreenshotAsync(page, "dashboard-deliveries");

        await page.Locator("tr[data-delivery]", new() { HasText = "message.sent" }).GetByRole(AriaRole.Link).ClickAsync();
        await Expect(page.Locator("li.attempt")).ToHaveCountAsync(1);
        await page.GetByRole(AriaRole.Button, new() { Name = "Redeliver" }).ClickAsync();
        await Expect(page.Locator("li.attempt")).ToHaveCountAsync(2);
        await Expect(page.Locator("li.attempt[data-attempt='2'] .badge").First).ToHaveTextAsync("delivered");
        await BrowserFixture.ScreenshotAsync(page, "dashboard-redeliver");
    }

    [Fact]
    public async Task A_failing_target_shows_as_failed_with_its_attempts_and_the_chart_counts_it()
    {
        await using var serve = await InProcessSwitchboard.ServeAsync("--retry-schedule", "0s,10ms");
        using var api = new ApiClient(serve.BaseUrl);
        // Nothing listens on port 1: every request is refused.
        await api.ProfileWithNumberAsync("http://127.0.0.1:1/webhooks");
        await api.SendAsync("+13125550100", "to a target that is down");
        var page = await browser.NewPageAsync();
        await page.GotoAsync(serve.PageLink);

        await page.SelectOptionAsync("select[name=status]", "failed");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        var failed = page.Locator("tr[data-status='failed']");
        await Expect(failed).ToHaveCountAsync(3);
        await Expect(failed.First).ToContainTextAsync("2 of 2");
        await BrowserFixture.ScreenshotAsync(page, "dashboard-failed");

        await failed.First.GetByRole(AriaRole.Link).ClickAsync();
        await Expect(page.Locator("dl.facts .badge").First).ToHaveTextAsync("failed");
        await Expect(page.Locator("li.attempt")).ToHaveCountAsync(2);
        await Expect(page.Locator("li.attempt .error-kind")).ToHaveTextAsync(["connection_refused", "connection_refused"]);

        await page.GetByRole(AriaRole.Link, new() { Name = "Charts" }).ClickAsync();
        // Three deliveries, two requests each, all refused: the outcome chart and the host chart both count six.
        await Expect(page.Locator("figure:has(#outcomes-title) [data-series='connection_refused'] strong")).ToHaveTextAsync("6");
        await Expect(page.Locator("figure:has(#hosts-title) [data-series='127.0.0.1:1'] strong")).ToHaveTextAsync("6");
        await BrowserFixture.ScreenshotAsync(page, "dashboard-charts");
    }

    internal static string PublicKeyOf(InProcessSwitchboard serve) => PublicKeyLine().Match(serve.Output).Groups[1].Value;

    [GeneratedRegex(@"Public key:\s+(\S+)")]
    private static partial Regex PublicKeyLine();
}
