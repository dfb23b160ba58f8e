using System.Net;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Switchboard.Web.Tests;

/// <summary>What the pages must never do: run what a payload carries, reach another host, or open to anyone beyond loopback.</summary>
[Collection(BrowserCollection.Name)]
public sealed class PageSafetyTests(BrowserFixture browser) : IDisposable
{
    private const string Hostile = "<script>alert('script')</script><img src=x onerror=alert('img')> &amp; <b>not bold</b>";

    private readonly HttpClient _client = new();

    [Fact]
    public async Task A_payload_with_script_renders_as_text_and_opens_no_dialog()
    {
        await using var hosts = await PlatformAndReceiver.StartAsync();
        var (serve, listen, api) = (hosts.Serve, hosts.Listen, hosts.Api);
        await api.SendAsync("+13125550100", Hostile);
        await hosts.WaitForRequestsAsync(3);
        var page = await browser.NewPageAsync();
        var dialogs = new List<string>();
        page.Dialog += async (_, dialog) =>
        {
            dialogs.Add(dialog.Message);
            await dialog.DismissAsync();
        };

        await page.GotoAsync(serve.PageLink);
        await page.Locator("tr[data-delivery]", new() { HasText = "message.sent" }).GetByRole(AriaRole.Link).ClickAsync();
        await Expect(page.Locator("#payload")).ToContainTextAsync(Hostile);
        await Expect(page.Locator("main script, main img")).ToHaveCountAsync(0);
        await BrowserFixture.ScreenshotAsync(page, "script-as-text-dashboard");

        await page.GotoAsync(listen.PageLink);
        await page.Locator("tr[data-outcome='accepted']", new() { HasText = "message.sent" }).GetByRole(AriaRole.Link).ClickAsync();
        await Expect(page.Locator("#body")).ToContainTextAsync(Hostile);
        await Expect(page.Locator("#curl")).ToContainTextAsync("<script>alert(");
        await Expect(page.Locator("main script, main img")).ToHaveCountAsync(0);
        await BrowserFixture.ScreenshotAsync(page, "script-as-text-inspector");

        Assert.Empty(dialogs);
    }

    [Fact]
    public async Task A_bidi_override_in_a_body_or_a_control_in_a_header_shows_escaped_in_the_inspector()
    {
        await using var listen = await InProcessSwitchboard.ListenAsync(Convert.ToBase64String(new byte[32]));
        using var request = new HttpRequestMessage(HttpMethod.Post, listen.BaseUrl + "/webhooks/telnyx")
        {
            Content = new StringContent("{\"file\":\"invoice\u202Efdp.exe\"}", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("X-Note", "escape\u001b[31mred");
        using (await _client.SendAsync(request))
        {
        }

        var page = await browser.NewPageAsync();
        await page.GotoAsync(listen.PageLink);
        await page.Locator("tr[data-request]").First.GetByRole(AriaRole.Link).ClickAsync();

        await Expect(page.Locator("#body")).ToContainTextAsync("invoice\\u202Efdp.exe");
        await Expect(page.Locator("table.headers")).ToContainTextAsync("escape\\u001B[31mred");
        Assert.DoesNotContain("\u202E", await page.Locator("main").InnerTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_pages_request_nothing_from_any_other_host()
    {
        await using var hosts = await PlatformAndReceiver.StartAsync();
        var (serve, listen, api) = (hosts.Serve, hosts.Listen, hosts.Api);
        await api.SendAsync("+13125550100", "https://cdn.example.com/x.js and http://example.org/ are only text");
        await hosts.WaitForRequestsAsync(3);
        var page = await browser.NewPageAsync(phone: true);
        var requests = new List<string>();
        page.Request += (_, request) => requests.Add(request.Url);

        await CallsPageTests.CallApplicationWithNumberAsync(api, listen.BaseUrl + "/webhooks/telnyx");
        var call = await api.PostAsync("/_switchboard/inbound_calls", new() { ["from"] = "+13125550177", ["to"] = CallsPageTests.CallNumber });
        foreach (var path in new[] { "/", "/charts", "/config", "/try", "/calls", "/calls/" + Uri.EscapeDataString(call.GetProperty("call_control_id").GetString()!) })
        {
            await page.GotoAsync(serve.BaseUrl + path);
            await Expect(page.Locator("h1")).ToBeVisibleAsync();
        }

        await page.GotoAsync(serve.BaseUrl + "/");
        await page.Locator("tr[data-delivery]").First.GetByRole(AriaRole.Link).ClickAsync();
        await Expect(page.Locator("#payload")).ToBeVisibleAsync();
        await page.GotoAsync(listen.BaseUrl + "/");
        await page.Locator("tr[data-request]").First.GetByRole(AriaRole.Link).ClickAsync();
        await Expect(page.Locator("#curl")).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "phone-width-inspector");

        Assert.NotEmpty(requests);
        var elsewhere = requests.Where(url => !url.StartsWith(serve.BaseUrl + "/", StringComparison.Ordinal)
            && !url.StartsWith(listen.BaseUrl + "/", StringComparison.Ordinal) && !url.StartsWith("data:", StringComparison.Ordinal)).ToList();
        Assert.True(elsewhere.Count == 0, "requests to other hosts: " + string.Join(", ", elsewhere));
        // The script and the style sheet were among them, from the app itself.
        Assert.Contains(requests, url => url.StartsWith(serve.BaseUrl + "/_assets/site.", StringComparison.Ordinal) && url.EndsWith(".js", StringComparison.Ordinal));
        Assert.Contains(requests, url => url.StartsWith(serve.BaseUrl + "/_assets/site.", StringComparison.Ordinal) && url.EndsWith(".css", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Bound_beyond_loopback_a_request_without_the_token_is_refused()
    {
        await using var hosts = await PlatformAndReceiver.StartAsync(["--urls", "http://0.0.0.0:0"], ["--urls", "http://0.0.0.0:0"]);
        var (serve, listen, api) = (hosts.Serve, hosts.Listen, hosts.Api);
        Assert.Contains("?token=", serve.PageLink, StringComparison.Ordinal);
        Assert.Contains("?token=", listen.PageLink, StringComparison.Ordinal);

        foreach (var url in new[] { serve.BaseUrl + "/", serve.BaseUrl + "/live/deliveries", serve.BaseUrl + "/config", serve.BaseUrl + "/calls", serve.BaseUrl + "/live/calls", listen.BaseUrl + "/", listen.BaseUrl + "/live/requests", listen.BaseUrl + "/api/requests" })
        {
            using var refused = await _client.GetAsync(url);
            Assert.True(refused.StatusCode == HttpStatusCode.Unauthorized, $"{url} answered {(int)refused.StatusCode}");
        }

        using (var wrong = await _client.GetAsync(serve.BaseUrl + "/?token=not-the-token"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        // The API keeps its own key, and needs no login token (PlatformAndReceiver set up the profile through it).

        var page = await browser.NewPageAsync();
        var refusedPage = await page.GotoAsync(serve.BaseUrl + "/");
        Assert.Equal(401, refusedPage!.Status);
        await Expect(page.Locator("h1")).ToHaveTextAsync("Login needed");
        await BrowserFixture.ScreenshotAsync(page, "login-needed");

        // The printed link logs in: the token moves to a cookie and leaves the address bar; the live channel opens.
        var loggedIn = await page.GotoAsync(serve.PageLink);
        Assert.Equal(200, loggedIn!.Status);
        Assert.DoesNotContain("token", page.Url, StringComparison.Ordinal);
        await api.SendAsync("+13125550100", "seen after logging in");
        await Expect(page.Locator("tr[data-delivery]")).ToHaveCountAsync(3);
        await BrowserFixture.ScreenshotAsync(page, "logged-in");
    }

    [Theory]
    [InlineData("//evil.example/")]
    [InlineData("/\\evil.example/")]
    [InlineData("/\t/evil.example/")]
    [InlineData("/\n/evil.example/")]
    [InlineData("https://evil.example/")]
    public async Task The_login_returns_only_to_a_path_of_its_own(string returnPath)
    {
        await using var hosts = await PlatformAndReceiver.StartAsync(["--urls", "http://0.0.0.0:0"], ["--urls", "http://0.0.0.0:0"]);
        var token = System.Web.HttpUtility.ParseQueryString(new Uri(hosts.Serve.PageLink).Query)["token"]!;
        using var noRedirects = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using var login = await noRedirects.PostAsync(hosts.Serve.BaseUrl + "/login",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = token, ["return"] = returnPath }));

        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal("/", login.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Serve_and_listen_on_one_host_each_keep_their_own_login()
    {
        await using var hosts = await PlatformAndReceiver.StartAsync(["--urls", "http://0.0.0.0:0"], ["--urls", "http://0.0.0.0:0"]);
        var page = await browser.NewPageAsync();

        await page.GotoAsync(hosts.Serve.PageLink);
        await Expect(page.Locator("h1")).ToHaveTextAsync("Webhook deliveries");
        // Cookies ignore the port: with one cookie name, this login would replace the other.
        await page.GotoAsync(hosts.Listen.PageLink);
        await Expect(page.Locator("h1")).ToHaveTextAsync("Requests received");

        var serveAgain = await page.GotoAsync(hosts.Serve.BaseUrl + "/");
        Assert.Equal(200, serveAgain!.Status);
        var listenAgain = await page.GotoAsync(hosts.Listen.BaseUrl + "/");
        Assert.Equal(200, listenAgain!.Status);
        var cookies = await page.Context.CookiesAsync();
        Assert.Equal(2, cookies.Count);
        Assert.All(cookies, cookie =>
        {
            Assert.True(cookie.HttpOnly);
            Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
            Assert.Equal("/", cookie.Path);
        });
    }

    [Fact]
    public async Task The_login_form_posts_the_token_so_no_address_carries_it()
    {
        await using var serve = await InProcessSwitchboard.ServeAsync("--urls", "http://0.0.0.0:0");
        var token = new Uri(serve.PageLink).Query["?token=".Length..];
        var page = await browser.NewPageAsync();
        var addresses = new List<string>();
        page.Request += (_, request) => addresses.Add(request.Url);

        var refused = await page.GotoAsync(serve.BaseUrl + "/charts");
        Assert.Equal(401, refused!.Status);
        await page.GetByLabel("Login token").FillAsync(token);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();

        await Expect(page.Locator("h1")).ToHaveTextAsync("Charts: the last hour");
        Assert.Equal(serve.BaseUrl + "/charts", page.Url);
        Assert.DoesNotContain(addresses, address => address.Contains(token, StringComparison.Ordinal));

        using var wrong = await _client.PostAsync(serve.BaseUrl + "/login", new FormUrlEncodedContent([new("token", "not-the-token"), new("return", "/")]));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
    }

    public void Dispose() => _client.Dispose();
}
