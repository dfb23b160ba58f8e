using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Switchboard.Delivery.Outbox;
using Switchboard.DurableWork;
using Switchboard.Platform;
using Switchboard.Platform.Hosting;

using Switchboard.Web.Shared;

namespace Switchboard.Cli.Commands;

/// <summary>
/// <c>switchboard serve</c>: the Telnyx-compatible platform (Switchboard.Platform) on this machine. SQLite in the data
/// folder by default; PostgreSQL for several <c>--role api</c> and <c>--role worker</c> processes on one database.
/// </summary>
internal static class ServeCommand
{
    public const string ApiKeyVariable = "SWITCHBOARD_API_KEY";

    public static Command Create(TimeProvider time)
    {
        var urlsOption = new Option<string>("--urls") { Description = "Where to listen (Kestrel URLs, ';'-separated)", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var dataOption = DataOption();
        var apiKeyOption = new Option<string?>("--api-key") { Description = $"The API key clients must send (default: ${ApiKeyVariable}, else one generated and kept in the data folder)" };
        var storageOption = new Option<string>("--storage") { Description = "sqlite (in the data folder) or postgres", DefaultValueFactory = _ => "sqlite" };
        storageOption.AcceptOnlyFromAmong("sqlite", "postgres");
        var connectionOption = new Option<string?>("--connection-string") { Description = "PostgreSQL connection string (with --storage postgres)" };
        var scheduleOption = new Option<string>("--retry-schedule") { Description = "When each attempt of a webhook starts", DefaultValueFactory = _ => DeliverySchedule.Default.ToString() };
        var attemptLogOption = new Option<int>("--attempt-log-limit") { Description = "How many of a webhook's newest attempts keep their requests in its log", DefaultValueFactory = _ => new DeliveryOptions().AttemptLogLimit };
        attemptLogOption.Validators.Add(result => { if (result.GetValueOrDefault<int>() < 1) { result.AddError("--attempt-log-limit must be at least 1"); } });
        var timeoutOption = DurationOption.Create("--attempt-timeout", "How long an endpoint has to answer a webhook", TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(5));
        var delayOption = DurationOption.Create("--lifecycle-delay", "The pause between two steps of a message's or call's lifecycle (0 for tests)", TimeSpan.FromMilliseconds(500), TimeSpan.FromHours(1));
        var globalOption = new Option<string?>("--global-webhook-url") { Description = "Account-wide webhook URL, used when neither a message nor its profile has one" };
        var globalFailoverOption = new Option<string?>("--global-webhook-failover-url") { Description = "Account-wide failover URL" };
        var roleOption = new Option<string>("--role") { Description = "all, or (PostgreSQL) api or worker", DefaultValueFactory = _ => "all" };
        roleOption.AcceptOnlyFromAmong("all", "api", "worker");
        var blockOption = new Option<bool>("--block-private-targets") { Description = "Refuse webhooks to loopback and private addresses (allowed by default, for local development)" };
        var telnyxEventsOption = new Option<bool>("--telnyx-events")
        {
            Description = "Profiles that do not choose their event types get Telnyx's set (message.sent, message.finalized, message.received), not the seed's five",
        };
        var publicUrlOption = new Option<string?>("--public-url") { Description = "The base URL of the links it hands out (recordings); default: the first URL it listens on" };
        var takeoverOption = DurationOption.Create("--takeover-after", "PostgreSQL: how long a silent worker keeps its work before others take it over", TimeSpan.FromSeconds(10), TimeSpan.FromHours(1));
        var retentionOption = DurationOption.Create(
            "--retention", "How long finished deliveries, messages, calls and recordings are kept before they are deleted", new PlatformOptions().Retention,
            TimeSpan.FromDays(3650), TimeSpan.FromMinutes(1));
        var command = new Command("serve", "Run the Telnyx-compatible platform: messaging profiles, numbers and messages whose lifecycles send signed webhooks")
        {
            urlsOption, dataOption, apiKeyOption, storageOption, connectionOption, scheduleOption, timeoutOption, delayOption,
            globalOption, globalFailoverOption, roleOption, blockOption, takeoverOption, publicUrlOption, attemptLogOption, retentionOption,
            telnyxEventsOption,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var postgres = parse.GetValue(storageOption) == "postgres";
            var connectionString = parse.GetValue(connectionOption);
            if (postgres != (connectionString is not null))
            {
                error.WriteLine(postgres ? "--storage postgres needs --connection-string" : "--connection-string goes with --storage postgres");
                return 2;
            }

            DeliverySchedule schedule;
            try
            {
                schedule = DeliverySchedule.Parse(parse.GetValue(scheduleOption)!);
            }
            catch (FormatException ex)
            {
                error.WriteLine($"--retry-schedule: {ex.Message}");
                return 2;
            }

            var data = Path.GetFullPath(parse.GetValue(dataOption)!);
            var apiKey = parse.GetValue(apiKeyOption) ?? Environment.GetEnvironmentVariable(ApiKeyVariable);
            PlatformOptions options;
            try
            {
                options = new PlatformOptions
                {
                    ApiKey = string.IsNullOrEmpty(apiKey) ? PlatformFiles.LoadOrCreateApiKey(data) : apiKey,
                    SigningKey = PlatformFiles.LoadOrCreateSigningKey(data),
                    DataDirectory = data,
                    PostgresConnectionString = connectionString,
                    Role = Enum.Parse<PlatformRole>(parse.GetValue(roleOption)!, ignoreCase: true),
                    RetrySchedule = schedule,
                    AttemptLogLimit = parse.GetValue(attemptLogOption),
                    AttemptTimeout = parse.GetValue(timeoutOption),
                    LifecycleDelay = parse.GetValue(delayOption),
                    GlobalWebhookUrl = parse.GetValue(globalOption),
                    GlobalWebhookFailoverUrl = parse.GetValue(globalFailoverOption),
                    BlockPrivateTargets = parse.GetValue(blockOption),
                    TelnyxEvents = parse.GetValue(telnyxEventsOption),
                    TakeoverAfter = parse.GetValue(takeoverOption),
                    Retention = parse.GetValue(retentionOption),
                    PublicBaseUrl = parse.GetValue(publicUrlOption)?.TrimEnd('/') ?? "",
                };
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
            {
                error.WriteLine($"cannot start: the data folder {data}: {ex.Message}");
                return 1;
            }

            var urls = parse.GetValue(urlsOption)!.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            WebApplication app;
            var log = new StderrLogger(error);
            PageAccess? access = null;
            try
            {
                app = await PlatformHost.StartAsync(
                    options, urls, logging => logging.AddProvider(log), time, pages => pages.MapSwitchboardDashboard(access = PageAccess.For(pages)), cancellation);
            }
            catch (ArgumentException ex)
            {
                error.WriteLine($"cannot start: {ex.Message}");
                return 2;
            }
            catch (WorkStoreInUseException ex)
            {
                error.WriteLine($"cannot start: {ex.Message}");
                return 1;
            }
            catch (IOException ex)
            {
                error.WriteLine($"cannot start on {string.Join(", ", urls)}: {ex.Message}");
                return 1;
            }
            catch (Npgsql.NpgsqlException ex)
            {
                error.WriteLine($"cannot start: PostgreSQL: {ex.Message}");
                return 1;
            }

            await using (app)
            {
                log.Started();
                PrintStart(output, app, options, postgres, access);
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellation);
                }
                catch (OperationCanceledException)
                {
                }

                output.WriteLine("stopping");
                await app.StopAsync(CancellationToken.None);
            }

            return 0;
        });
        return command;
    }

    public static Option<string> DataOption() =>
        new("--data") { Description = "The platform's data folder (database, signing key pair, API key)", DefaultValueFactory = _ => ".switchboard" };

    private static void PrintStart(TextWriter output, WebApplication app, PlatformOptions options, bool postgres, PageAccess? access)
    {
        var baseUrl = app.Urls.First().TrimEnd('/');
        output.WriteLine($"Switchboard platform ({(postgres ? "PostgreSQL" : "SQLite")}, role {options.Role.ToString().ToLowerInvariant()})");
        if (options.Role != PlatformRole.Worker)
        {
            output.WriteLine($"  API base URL: {baseUrl}/v2");
            output.WriteLine($"  API key:      {options.ApiKey}");
        }

        if (access is not null)
        {
            // Decided from the addresses bound (see PageAccess), which may not be the --urls asked for.
            output.WriteLine($"  Dashboard:    {access.LoginLink(baseUrl)}{(access.RequiresToken ? "  (not loopback: the pages need this login link)" : "")}");
        }

        output.WriteLine($"  Public key:   {options.SigningKey!.PublicKey.ToBase64()}  (verify webhooks with it)");
        output.WriteLine($"  Data folder:  {options.DataDirectory}");
        output.WriteLine(options.BlockPrivateTargets
            ? "  Webhooks to loopback and private addresses are refused (--block-private-targets)."
            : "  Webhooks to loopback and private addresses are allowed (local development; --block-private-targets refuses them).");
        output.WriteLine(options.TelnyxEvents
            ? "  Message events: Telnyx's set (message.sent, message.finalized, message.received) for profiles that do not choose (--telnyx-events)."
            : "  Message events: the seed's set (adds message.delivered, message.failed) for profiles that do not choose; --telnyx-events gives Telnyx's.");
        if (options.Role != PlatformRole.Worker)
        {
            output.WriteLine($"  SDK:          TELNYX_BASE_URL={baseUrl}/v2 TELNYX_API_KEY={options.ApiKey} node your-app.js");
        }

        output.WriteLine("Ready.");
    }
}
