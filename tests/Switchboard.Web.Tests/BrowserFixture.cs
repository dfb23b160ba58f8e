using Microsoft.Playwright;

namespace Switchboard.Web.Tests;

/// <summary>
/// One headless Chromium for the browser tests: Debian's <c>chromium</c>, which scripts/install-deps.sh installs (no
/// browser download). Missing, the tests fail saying so; they never skip.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    /// <summary>
    /// How long an action or an assertion waits for the page's state before it fails: the patience of
    /// <see cref="Switchboard.Testing.Eventually"/>, not a duration tested. A loaded machine (two cores, other builds
    /// beside) has taken more than Playwright's 5 s (assertions) and the 15 s these tests had (actions).
    /// </summary>
    public static readonly float Patience = (float)Switchboard.Testing.Eventually.DefaultPatience.TotalMilliseconds;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where each test's screenshot goes: a folder beside the test assembly (the test run's artifacts).</summary>
    public static string ScreenshotFolder { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: run scripts/install-deps.sh as root (it installs Debian's chromium)");
        Directory.CreateDirectory(ScreenshotFolder);
        Assertions.SetDefaultExpectTimeout(Patience);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // Root in CI and containers has no user namespace sandbox to give.
            Args = ["--no-sandbox"],
        });
    }

    /// <summary>A fresh context (no cookies) at a laptop's size, or a phone's.</summary>
    public async Task<IPage> NewPageAsync(bool phone = false, params string[] permissions)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = phone ? new ViewportSize { Width = 390, Height = 844 } : new ViewportSize { Width = 1280, Height = 860 },
            Permissions = permissions,
        });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(Patience);
        return page;
    }

    /// <summary>
    /// Saves the page for the docs. Chromium on a loaded machine sometimes answers "Unable to capture screenshot" while it
    /// is busy painting: tried again a few times, since the picture is not what the tests check.
    /// </summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, name + ".png"), FullPage = true });
                return;
            }
            catch (PlaywrightException ex) when (attempt < 5 && ex.Message.Contains("Unable to capture screenshot", StringComparison.Ordinal))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500 * attempt));
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
