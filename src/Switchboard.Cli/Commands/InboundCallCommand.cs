using System.CommandLine;
using System.Text.Json.Nodes;

namespace Switchboard.Cli.Commands;

/// <summary><c>switchboard inbound-call --from +1... --to +1...</c>: rings one of the platform's numbers on a Call Control application (<c>call.initiated</c>, incoming).</summary>
internal static class InboundCallCommand
{
    public static Command Create()
    {
        var urlOption = PlatformClient.UrlOption();
        var apiKeyOption = PlatformClient.ApiKeyOption();
        var dataOption = ServeCommand.DataOption();
        var fromOption = new Option<string>("--from") { Description = "The caller (any +E.164 number)", Required = true };
        var toOption = new Option<string>("--to") { Description = "The platform number called (on a Call Control application)", Required = true };
        var timeoutOption = new Option<int>("--timeout-secs") { Description = "How long it rings before the caller gives up", DefaultValueFactory = _ => 30 };
        var command = new Command("inbound-call", "Ring one of the platform's numbers: the application gets call.initiated and answers, rejects, or lets it ring out")
        {
            urlOption, apiKeyOption, dataOption, fromOption, toOption, timeoutOption,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var error = parse.InvocationConfiguration.Error;
            if (!PlatformClient.TryFindApiKey(parse.GetValue(apiKeyOption), parse.GetValue(dataOption)!, error, out var apiKey))
            {
                return 2;
            }

            var body = new JsonObject { ["from"] = parse.GetValue(fromOption), ["to"] = parse.GetValue(toOption), ["timeout_secs"] = parse.GetValue(timeoutOption) };
            var url = new Uri(parse.GetValue(urlOption)!, $"{Platform.Api.PlatformApi.EmulatorPrefix}/inbound_calls");
            return await PlatformClient.SendAsync(HttpMethod.Post, url, apiKey, body, parse.InvocationConfiguration.Output, error, cancellation);
        });
        return command;
    }
}
