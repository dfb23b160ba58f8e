using Switchboard.Events;
using Switchboard.Platform.Api;

namespace Switchboard.Platform.Webhooks;

/// <summary>The one check of a webhook URL field, wherever one is configured: absolute http or https, at most 2,000 characters, no spaces, control or format characters.</summary>
public static class WebhookUrls
{
    public const int MaxLength = 2000;

    /// <summary>The field's value if it is a usable URL (an empty string means none, as Telnyx accepts it); null if absent, null or empty.</summary>
    public static string? Read(JsonBody body, string name)
    {
        var text = body.String(name, maxLength: int.MaxValue);
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (text.Length > MaxLength)
        {
            body.Add(ApiErrors.InvalidUrl(body.Pointer(name), $"{name} is {text.Length} characters long; URLs can be at most {MaxLength}"));
            return null;
        }

        if (!IsHttpUrl(text))
        {
            body.Add(ApiErrors.InvalidUrl(body.Pointer(name), $"{name} must be an absolute http or https URL without spaces, control or invisible format characters; got '{ApiErrors.Printable(text)}'"));
            return null;
        }

        return text;
    }

    /// <summary>
    /// An absolute http or https URL with a host, written as it is sent: with no spaces, and none of the characters
    /// <see cref="TerminalText"/> escapes (controls, format characters such as U+202E or U+200B, line separators), which
    /// <see cref="Uri"/> would quietly trim or percent-encode or a page would not show, so what is stored and shown
    /// would not be what is requested.
    /// </summary>
    public static bool IsHttpUrl(string text) =>
        !TerminalText.ContainsUnsafe(text) && !text.Any(char.IsWhiteSpace)
        && Uri.TryCreate(text, UriKind.Absolute, out var url) && url.Scheme is "http" or "https" && url.Host.Length > 0;
}
