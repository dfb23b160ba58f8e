using System.CommandLine;
using System.Text.Json.Nodes;

namespace Switchboard.Cli.Commands;

/// <summary><c>switchboard inbound --from +1... --to +1... --text hi</c>: an inbound message to one of the platform's numbers (<c>message.received</c>).</summary>
internal static class InboundCommand
{
    public static Command Create()
    {
        var urlOption = PlatformClient.UrlOption();
        var apiKeyOption = PlatformClient.ApiKeyOption();
        var dataOption = ServeCommand.DataOption();
        var fromOption = new Option<string>("--from") { Description = "The sender (any +E.164 number)", Required = true };
        var toOption = new Option<string>("--to") { Description = "The platform number it is sent to (on a messaging profile)", Required = true };
        var textOption = new Option<string?>("--text") { Description = "The text" };
        var mediaOption = new Option<string[]>("--media-url") { Description = "A media URL (repeatable; makes it an MMS)" };
        var command = new Command("inbound", "Deliver an inbound message to one of the platform's numbers, firing message.received")
        {
            urlOption, apiKeyOption, dataOption, fromOption, toOption, textOption, mediaOption,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var error = parse.InvocationConfiguration.Error;
            if (!PlatformClient.TryFindApiKey(parse.GetValue(apiKeyOption), parse.GetValue(dataOption)!, error, out var apiKey))
            {
                return 2;
            }

            var body = new JsonObject { ["from"] = parse.GetValue(fromOption), ["to"] = parse.GetValue(toOption) };
            if (parse.GetValue(textOption) is { } text)
            {
                body["text"] = text;
            }

            if (parse.GetValue(mediaOption) is { Length: > 0 } media)
            {
                body["media_urls"] = new JsonArray([.. media.Select(m => (JsonNode?)JsonValue.Create(m))]);
            }

            var url = new Uri(parse.GetValue(urlOption)!, $"{Platform.Api.PlatformApi.EmulatorPrefix}/inbound_messages");
            return await PlatformClient.SendAsync(HttpMethod.Post, url, apiKey, body, parse.InvocationConfiguration.Output, error, cancellation);
        });
        return command;
    }
}
