using System.CommandLine;
using System.Text.Json.Nodes;

namespace Switchboard.Cli.Commands;

/// <summary>
/// <c>switchboard call press ID DIGITS</c> and <c>switchboard call hangup ID</c>: the far end of a call on a running
/// <c>serve</c> presses keys (one <c>call.dtmf.received</c> each, feeding a gather) or hangs up.
/// </summary>
internal static class FarEndCallCommand
{
    public static Command Create()
    {
        var digitsArgument = new Argument<string>("DIGITS") { Description = "The keys, in order: 0-9, *, #, A-D (quote * and #: '12#')" };
        var press = FarEndCommand("press", "Press keys on a call, as its far end: one call.dtmf.received each", "dtmf",
            parse => new JsonObject { ["digits"] = parse.GetValue(digitsArgument) }, digitsArgument);
        var hangup = FarEndCommand("hangup", "Hang a call up from its far end (the caller of an inbound call, the callee of an outbound one)", "hangup", _ => new JsonObject());
        return new Command("call", "Act as the far end of a call on the platform") { press, hangup };
    }

    private static Command FarEndCommand(string name, string description, string action, Func<ParseResult, JsonObject> body, params Argument[] arguments)
    {
        var idArgument = new Argument<string>("ID") { Description = "The call's call_control_id (v3:...)" };
        var urlOption = PlatformClient.UrlOption();
        var apiKeyOption = PlatformClient.ApiKeyOption();
        var dataOption = ServeCommand.DataOption();
        var command = new Command(name, description) { idArgument, urlOption, apiKeyOption, dataOption };
        foreach (var argument in arguments)
        {
            command.Arguments.Add(argument);
        }

        command.SetAction(async (parse, cancellation) =>
        {
            var error = parse.InvocationConfiguration.Error;
            if (!PlatformClient.TryFindApiKey(parse.GetValue(apiKeyOption), parse.GetValue(dataOption)!, error, out var apiKey))
            {
                return 2;
            }

            var url = new Uri(parse.GetValue(urlOption)!, $"{Platform.Api.PlatformApi.EmulatorPrefix}/calls/{Uri.EscapeDataString(parse.GetValue(idArgument)!)}/{action}");
            return await PlatformClient.SendAsync(HttpMethod.Post, url, apiKey, body(parse), parse.InvocationConfiguration.Output, error, cancellation);
        });
        return command;
    }
}
