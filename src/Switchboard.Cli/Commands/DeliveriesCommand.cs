using System.CommandLine;
using System.Text.Json.Nodes;

namespace Switchboard.Cli.Commands;

/// <summary><c>switchboard deliveries retry ID</c> or <c>--failed-since TIME</c>: one more attempt of webhook deliveries, now.</summary>
internal static class DeliveriesCommand
{
    public static Command Create()
    {
        var urlOption = PlatformClient.UrlOption();
        var apiKeyOption = PlatformClient.ApiKeyOption();
        var dataOption = ServeCommand.DataOption();
        var idArgument = new Argument<string?>("ID") { Description = "The delivery's id (the event id)", Arity = ArgumentArity.ZeroOrOne };
        var sinceOption = new Option<DateTimeOffset?>("--failed-since") { Description = "Retry every delivery that failed at or after this time (ISO 8601)" };
        var retry = new Command("retry", "Attempt a webhook delivery again now, or every one that failed since a time")
        {
            idArgument, sinceOption, urlOption, apiKeyOption, dataOption,
        };
        retry.SetAction(async (parse, cancellation) =>
        {
            var error = parse.InvocationConfiguration.Error;
            var id = parse.GetValue(idArgument);
            var since = parse.GetValue(sinceOption);
            if ((id is null) == (since is null))
            {
                error.WriteLine("give either a delivery ID or --failed-since TIME");
                return 2;
            }

            if (!PlatformClient.TryFindApiKey(parse.GetValue(apiKeyOption), parse.GetValue(dataOption)!, error, out var apiKey))
            {
                return 2;
            }

            var baseUrl = parse.GetValue(urlOption)!;
            var prefix = Platform.Api.PlatformApi.EmulatorPrefix;
            return id is not null
                ? await PlatformClient.SendAsync(HttpMethod.Post, new Uri(baseUrl, $"{prefix}/webhook_deliveries/{Uri.EscapeDataString(id)}/redeliver"), apiKey, null,
                    parse.InvocationConfiguration.Output, error, cancellation)
                : await PlatformClient.SendAsync(HttpMethod.Post, new Uri(baseUrl, $"{prefix}/webhook_deliveries/redeliver_failed"), apiKey,
                    new JsonObject { ["since"] = since!.Value.ToString("O") }, parse.InvocationConfiguration.Output, error, cancellation);
        });
        return new Command("deliveries", "The platform's webhook deliveries") { retry };
    }
}
