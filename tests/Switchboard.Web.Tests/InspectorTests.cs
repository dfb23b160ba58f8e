using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Playwright;
using Switchboard.Events;
using Switchboard.Signing;
using static Microsoft.Playwright.Assertions;

namespace Switchboard.Web.Tests;

/// <summary>The inspector of <c>switchboard listen</c> in a real browser.</summary>
[Collection(BrowserCollection.Name)]
public sealed class InspectorTests(BrowserFixture browser) : IDisposable
{
    private readonly HttpClient _client = new();

    [Fact]
    public async Task A_valid_and_a_tampered_webhook_show_their_badges_and_copy_as_curl_reproduces_the_request()
    {
        using var key = Ed25519PrivateKey.Generate();
        await using var listen = await InProcessSwitchboard.ListenAsync(key.PublicKey.ToBase64());
        var url = listen.BaseUrl + "/webhooks/telnyx";
        var valid = new WebhookEnvelope { Data = SampleEvents.Create(EventTypes.MessageReceived, TimeProvider.System) }.ToUtf8Bytes();
        var signedOther = new WebhookEnvelope { Data = SampleEvents.Create(EventTypes.MessageSent, TimeProvider.System) }.ToUtf8Bytes();
        Assert.Equal("accepted", await PostAsync(url, valid, key, valid));
        // Signed for one body, sent with another: what a tampered request looks like.
        var tampered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(signedOther).Replace("+18445550001", "+18445550999", StringComparison.Ordinal));
        Assert.Equal("rejected", await PostAsync(url, tampered, key, signedOther));

        var page = await browser.NewPageAsync(phone: false, "clipboard-read", "clipboard-write");
        await page.GotoAsync(listen.PageLink);
        await Expect(page.Locator("tr[data-outcome='accepted'] .verification")).ToHaveTextAsync("valid");
        await Expect(page.Locator("tr[data-outcome='rejected'] .verification")).ToContainTextAsync("invalid: ");

        await page.Locator("tr[data-outcome='accepted']").GetByRole(AriaRole.Link).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Copy as curl" }).ClickAsync();
        var curl = await page.EvaluateAsync<string>("() => navigator.clipboard.readText()");
        Assert.StartsWith("curl ", curl, StringComparison.Ordinal);
        Assert.Contains("telnyx-signature-ed25519", curl, StringComparison.OrdinalIgnoreCase);

        var answer = await RunAsync(curl);
        Assert.Contains("\"status\":\"duplicate\"", answer, StringComparison.Ordinal);

        await page.GetByRole(AriaRole.Link, new() { Name = "Requests" }).ClickAsync();
        await Expect(page.Locator("tr[data-outcome='duplicate']")).ToHaveCountAsync(1);
        await Expect(page.Locator("tr[data-outcome='duplicate'] .badge", new() { HasText = "duplicate" })).ToHaveCountAsync(1);
        await BrowserFixture.ScreenshotAsync(page, "inspector");
        await page.Locator("tr[data-outcome='accepted']").GetByRole(AriaRole.Link).ClickAsync();
        await BrowserFixture.ScreenshotAsync(page, "inspector-request");
    }

    /// <summary>Posts a body with the signature of <paramref name="signed"/>; returns the receiver's <c>status</c>, or "rejected".</summary>
    private async Task<string> PostAsync(string url, byte[] body, Ed25519PrivateKey key, byte[] signed)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        foreach (var (name, value) in new Ed25519WebhookSigner(key).Sign(signed, DateTimeOffset.UtcNow, "test"))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await _client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode ? System.Text.Json.JsonDocument.Parse(text).RootElement.GetProperty("status").GetString()! : "rejected";
    }

    /// <summary>Runs a shell command as a person pasting it would; returns what it printed.</summary>
    private static async Task<string> RunAsync(string command)
    {
        var start = new ProcessStartInfo("bash", ["-c", command]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var errors = await error;
        Assert.True(process.ExitCode == 0, string.Create(CultureInfo.InvariantCulture, $"the copied command exited {process.ExitCode}: {errors}\n{command}"));
        return await output;
    }

    public void Dispose() => _client.Dispose();
}
