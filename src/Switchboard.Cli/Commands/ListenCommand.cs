using System.CommandLine;
using System.Globalization;
using System.Net;
using System.CommandLine.Parsing;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Mvc;
using Switchboard.Delivery.Http;
using Switchboard.Events;
using Switchboard.Receiver;
using Switchboard.Receiver.Inbox;
using Switchboard.Signing;
using Switchboard.Web.Inspector;
using Switchboard.Web.Shared;

namespace Switchboard.Cli.Commands;

/// <summary>
/// <c>switchboard listen [--urls URL] [--path PATH] --public-key BASE64 [--data DIR] [--forward-to URL]</c>: a
/// standalone receiver on the receiver library. Records every request with its verification result (a bounded log),
/// prints one line per request, serves an inspector at <c>/</c> (JSON at <c>/api/requests</c>, the inbox's admin API
/// under <c>/api</c>), and passes each verified webhook on to a local app (<see cref="ListenForwarder"/>). Everything it
/// prints that came in a request goes through <see cref="TerminalText"/> first.
/// </summary>
internal static partial class ListenCommand
{
    public static Command Create(TimeProvider time)
    {
        var urlsOption = new Option<string>("--urls") { Description = "Where to listen (Kestrel URLs, ';'-separated)", DefaultValueFactory = _ => "http://127.0.0.1:9090" };
        var pathOption = new Option<string>("--path") { Description = "The webhook path", DefaultValueFactory = _ => "/webhooks/telnyx" };
        var publicKeyOption = new Option<string[]>("--public-key")
        {
            Description = "The account's Ed25519 public key, base64 of 32 bytes (repeat the option during a key rotation)",
            Required = true,
        };
        var dataOption = new Option<string>("--data") { Description = "Folder of the database of received requests", DefaultValueFactory = _ => ".data/listen" };
        var forwardOption = HttpUrlOption.Create("--forward-to", "Pass each verified webhook on to this URL (e.g. your app on localhost)");
        var forwardTimeoutOption = SecondsOption.Create(
            "--forward-timeout", "Seconds the app has to answer a forwarded webhook before the forward is retried", 5, HttpWebhookSenderOptions.MaxTimeout.TotalSeconds);
        var forwardSignKeyOption = new Option<FileInfo?>("--forward-sign-key")
        {
            Description = "Re-sign each forward with this private key (from 'keys generate') and a fresh timestamp; your app then trusts its public key, " +
                "printed at start. Without it, forwards keep Telnyx's signature, so every try starts within 4 minutes of arrival (the 5-minute tolerance)",
        };
        var forwardTriesOption = new Option<int?>("--forward-tries")
        {
            Description = "Tries per forward before it is dead-lettered (default: as many as start within 4 minutes of arrival; " +
                $"{ListenForwarder.ResignedTries} with --forward-sign-key)",
        };
        var keepOption = new Option<int>("--keep")
        {
            Description = "Requests the log keeps; past it, the oldest are deleted",
            DefaultValueFactory = _ => new TelnyxWebhookOptions().RequestLogMaxCount,
        };
        keepOption.Validators.Add(result => CheckRange(result, "--keep", result.GetValueOrDefault<int>(), 1, 1_000_000));
        var keepMbOption = new Option<int>("--keep-mb")
        {
            Description = "Megabytes the log keeps (bodies and headers); past it, the oldest requests are deleted",
            DefaultValueFactory = _ => (int)(new TelnyxWebhookOptions().RequestLogMaxBytes / (1024 * 1024)),
        };
        keepMbOption.Validators.Add(result => CheckRange(result, "--keep-mb", result.GetValueOrDefault<int>(), 1, 16 * 1024));
        var retentionOption = DurationOption.Create(
            "--retention", "How long handled webhooks (recognised as duplicates while kept) and logged requests are kept", new TelnyxWebhookOptions().KeepHandledFor,
            TimeSpan.FromDays(3650), TimeSpan.FromDays(1));
        var command = new Command("listen", "Receive webhooks: verify, store and show every request; optionally forward the verified ones to a local app")
        {
            urlsOption, pathOption, publicKeyOption, dataOption, forwardOption, forwardTimeoutOption, forwardSignKeyOption, forwardTriesOption, keepOption, keepMbOption, retentionOption,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var output = TextWriter.Synchronized(parse.InvocationConfiguration.Output);
            var error = TextWriter.Synchronized(parse.InvocationConfiguration.Error);
            var path = parse.GetValue(pathOption)!;
            if (!LiteralPath().IsMatch(path))
            {
                // Not a route template either: '{id}' would match any segment, and '*' or '?' mean something too.
                error.WriteLine($"--path must be a URL path starting with '/' of letters, digits, '-', '.', '_', '~' and '/'; got '{TerminalText.Escape(path)}'");
                return 2;
            }

            var forwardTo = parse.GetValue(forwardOption);
            Ed25519PrivateKey? signingKey = null;
            if (parse.GetValue(forwardSignKeyOption) is { } keyFile)
            {
                if (forwardTo is null)
                {
                    error.WriteLine("--forward-sign-key goes with --forward-to");
                    return 2;
                }

                if (!CliFiles.TryReadKey(keyFile, error, out signingKey))
                {
                    return 1;
                }
            }

            using var ownedKey = signingKey;
            var forwardTimeout = TimeSpan.FromSeconds(parse.GetValue(forwardTimeoutOption));
            var mostTries = ListenForwarder.TriesFor(forwardTimeout, signingKey is not null);
            var tries = parse.GetValue(forwardTriesOption) ?? mostTries;
            if (tries < 1 || tries > mostTries)
            {
                error.WriteLine(signingKey is null
                    ? $"--forward-tries must be between 1 and {mostTries} with a --forward-timeout of {forwardTimeout.TotalSeconds} s: a later try would reach the app " +
                        "past the 300 s tolerance of Telnyx's signature (--forward-sign-key re-signs each try instead)"
                    : $"--forward-tries must be between 1 and {mostTries}");
                return 2;
            }

            var settings = new ListenSettings(
                parse.GetValue(urlsOption)!, path, parse.GetRequiredValue(publicKeyOption), parse.GetValue(dataOption)!, forwardTo,
                forwardTimeout, signingKey, tries, parse.GetValue(keepOption), parse.GetValue(keepMbOption), parse.GetValue(retentionOption));
            return await RunAsync(settings, time, output, error, cancellation);
        });
        return command;
    }

    private static void CheckRange(OptionResult result, string name, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            result.AddError($"{name} must be between {min} and {max}; got {value}");
        }
    }

    private sealed record ListenSettings(
        string Urls, string Path, string[] PublicKeys, string DataDirectory, Uri? ForwardTo, TimeSpan ForwardTimeout,
        Ed25519PrivateKey? ForwardSigningKey, int ForwardTries, int Keep, int KeepMegabytes, TimeSpan Retention);

    private static async Task<int> RunAsync(ListenSettings settings, TimeProvider time, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        // A tool's host: the working folder is the user's (their app's appsettings.json, our data folder inside it), so
        // the content root, where configuration files are read and watched, is the tool's own folder.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        var warnings = new StderrLogger(error);
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(warnings);
        // A failed forward is printed as a line of its own; only a dead-lettered one is worth a warning too.
        builder.Logging.AddFilter("Switchboard.Receiver.Handlers.HandlerRunner", LogLevel.Error);
        builder.WebHost.UseUrls(settings.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        builder.Services.AddSingleton(time);
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        var forwarder = settings.ForwardTo is { } target
            ? new ListenForwarder(
                new HttpWebhookSender(new HttpWebhookSenderOptions { AllowPrivateNetworks = true, Timeout = settings.ForwardTimeout }, time),
                target, settings.ForwardSigningKey, settings.ForwardTries, time, output)
            : null;
        var webhooks = builder.Services.AddTelnyxWebhooks(options =>
        {
            foreach (var key in settings.PublicKeys)
            {
                options.PublicKeys.Add(key);
            }

            options.DataDirectory = settings.DataDirectory;
            options.RecordAllRequests = true;
            options.RequestLogMaxCount = settings.Keep;
            options.RequestLogMaxBytes = settings.KeepMegabytes * 1024L * 1024;
            options.KeepHandledFor = settings.Retention;
            options.MaxHandlerAttempts = forwarder?.Tries ?? ListenForwarder.ResignedTries;
            options.HandlerRetryDelay = ListenForwarder.FirstRetryDelay;
        });
        if (forwarder is not null)
        {
            webhooks.OnAny(ListenForwarder.HandlerName, (context, cancellationToken) => forwarder.ForwardAsync(context, cancellationToken));
        }

        await using var app = builder.Build();
        app.Use(async (context, next) =>
        {
            await next(context);
            // The webhook endpoint's requests (it sets the receipt), and those that matched no route at all (a sender
            // posting to the wrong path): routing decides what "our path" is, case and all. The inspector's own are not printed.
            if (context.Features.Get<WebhookReceipt>() is not null || context.GetEndpoint() is null)
            {
                output.WriteLine(Describe(context, time, settings.Path));
            }
        });
        app.MapTelnyxWebhooks(settings.Path);
        var access = PageAccess.For(app);
        app.MapSwitchboardInspector(access, new InspectorOptions { WebhookPath = settings.Path, Forwarding = forwarder });
        app.MapGet("/api/requests", async (IWebhookInboxAdmin admin, int? page, [FromQuery(Name = "page_size")] int? pageSize, CancellationToken ct) =>
            Results.Json(
                (await admin.ListRequestsAsync(Math.Max(page ?? 1, 1), Math.Clamp(pageSize ?? RequestJson.PageSize, 1, RequestJson.MaxPageSize), ct)).Select(RequestJson.From),
                RequestJson.Options))
            .RequirePageAccess(access);
        // The inbox's admin API: GET /api/events?state=DeadLettered, POST /api/events/{id}/replay, POST /api/dead-letter/replay.
        app.MapTelnyxWebhooksAdmin("/api").RequirePageAccess(access);
        app.MapGet("/favicon.ico", () => Results.NoContent());

        try
        {
            await app.StartAsync(cancellation);
        }
        catch (OptionsValidationException ex)
        {
            error.WriteLine($"cannot start: {string.Join("; ", ex.Failures)}");
            return 1;
        }
        catch (WebhookStoreUnavailableException ex)
        {
            error.WriteLine($"cannot start: {ex.Message}");
            return 1;
        }
        catch (IOException ex)
        {
            error.WriteLine($"cannot listen on {settings.Urls}: {ex.Message}");
            return 1;
        }
        finally
        {
            warnings.Started();
        }

        foreach (var url in app.Urls)
        {
            var root = url.TrimEnd('/');
            output.WriteLine($"Listening on {root}{settings.Path}  (inspector: {access.LoginLink(root)})");
        }

        if (access.RequiresToken)
        {
            error.WriteLine("note: listening beyond loopback, so the inspector and /api need the login token in the inspector link above " +
                "(or Authorization: Bearer TOKEN); the webhook path itself stays open, as a webhook endpoint must.");
        }

        if (settings.ForwardTo is { } forwardTo && forwarder is not null)
        {
            forwarder.ReplayBaseUrl = app.Urls.First().TrimEnd('/');
            output.WriteLine(settings.ForwardSigningKey is { } key
                ? $"Forwarding verified webhooks to {forwardTo}, re-signed with listen's own key: have your app trust the public key {key.PublicKey.ToBase64()} " +
                    $"(not Telnyx's); {forwarder.Tries} tries"
                : $"Forwarding verified webhooks to {forwardTo} with Telnyx's signature: {forwarder.Tries} tries, the last starting at most " +
                    $"{(int)ListenForwarder.LastTryStartsAfter(forwarder.Tries, settings.ForwardTimeout).TotalSeconds} s after arrival, inside the 300 s tolerance " +
                    "(--forward-sign-key re-signs instead)");
            output.WriteLine($"Dead-lettered forwards: {forwarder.ReplayBaseUrl}/ and GET /api/events?state=DeadLettered; replay with POST /api/events/ID/replay");
        }

        try
        {
            await Task.Delay(Timeout.Infinite, cancellation);
        }
        catch (OperationCanceledException)
        {
        }

        await app.StopAsync(CancellationToken.None);
        return 0;
    }

    private static string Describe(HttpContext context, TimeProvider time, string path)
    {
        var at = time.GetLocalNow().ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);
        var status = context.Response.StatusCode;
        if (context.Features.Get<WebhookReceipt>() is not { } receipt)
        {
            var hint = status == StatusCodes.Status404NotFound ? $"  (not the webhook path {path})" : "";
            return TerminalText.Escape($"{at}  {status}  {context.Request.Method} {context.Request.Path}{context.Request.QueryString}") + hint;
        }

        var what = receipt.Outcome == "rejected" ? receipt.Reason : receipt.EventType;
        var id = receipt.EventId is null ? "" : $"  {receipt.EventId}";
        return TerminalText.Escape($"{at}  {status}  {receipt.Outcome,-9} {what}{id}  ({receipt.Verification ?? "not verified"})");
    }

    [GeneratedRegex("^/[A-Za-z0-9._~/-]*$")]
    private static partial Regex LiteralPath();
}
