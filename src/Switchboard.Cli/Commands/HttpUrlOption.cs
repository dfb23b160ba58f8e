using System.CommandLine;
using System.CommandLine.Parsing;
using Switchboard.Events;
using Switchboard.Platform.Webhooks;

namespace Switchboard.Cli.Commands;

/// <summary>
/// An option that takes an absolute http or https URL, checked as the API checks its URL fields
/// (<see cref="WebhookUrls.IsHttpUrl"/>) and refused with its own name otherwise. System.CommandLine has no parser
/// of its own for <see cref="Uri"/>.
/// </summary>
internal static class HttpUrlOption
{
    public static Option<Uri> Create(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result => Parse(name, result),
    };

    private static Uri? Parse(string name, ArgumentResult result)
    {
        var text = string.Join(' ', result.Tokens.Select(t => t.Value));
        if (WebhookUrls.IsHttpUrl(text) && Uri.TryCreate(text, UriKind.Absolute, out var url))
        {
            return url;
        }

        result.AddError($"{name} must be an absolute http or https URL without spaces, control or format characters; got '{TerminalText.Escape(text)}'");
        return null;
    }
}
