using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Switchboard.Web.Shared;

namespace Switchboard.Web.Tests;

/// <summary>Characters that hide or reorder text show escaped on the pages, as on the console.</summary>
public sealed class VisibleTextTests
{
    [Fact]
    public async Task A_rendered_page_shows_bidi_and_zero_width_characters_escaped()
    {
        await using var services = new ServiceCollection().AddLogging().BuildServiceProvider();
        var renderer = new PageRenderer(services, NullLoggerFactory.Instance);

        var html = await renderer.RenderAsync<MessagePage>(new PageMessage("Title", "invoice\u202Efdp.exe from\u200B\u2066 admin\u0007", "Site", []));

        Assert.Contains("invoice\\u202Efdp.exe from\\u200B\\u2066 admin\\u0007", html, StringComparison.Ordinal);
        Assert.DoesNotContain("&#x202E;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("\u202E", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_is_escaped_but_attribute_values_layout_and_other_characters_keep_theirs()
    {
        const string Html = "<pre title=\"a&#x202E;b\" data-x=\"\u200D\">{&#xA;\t\"x\": \"&#x5D0;&#x1F468;&#x200D;&#x1F469; &#8238; \u2067 \uD800 &#x85;\"\r\n}</pre>";

        Assert.Equal(
            "<pre title=\"a&#x202E;b\" data-x=\"\u200D\">{&#xA;\t\"x\": \"&#x5D0;&#x1F468;\\u200D&#x1F469; \\u202E \\u2067 \\uD800 \\u0085\"\r\n}</pre>",
            VisibleText.InHtml(Html));
        Assert.Equal("<p>plain &amp; text</p>", VisibleText.InHtml("<p>plain &amp; text</p>"));
    }
}
