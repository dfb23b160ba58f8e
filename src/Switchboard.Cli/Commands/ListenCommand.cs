using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.Delivery.Http;
using Switchboard.Receiver;
using Switchboard.Receiver.Inbox;

namespace Switchboard.Cli.Commands;

/// <summary>
/// <c>switchboard listen [--urls URL] [--path PATH] --public-key BASE64 [--data DIR] [--forward-to URL]</c>: a
/// standalone receiver on the receiver library. Records every request with its verification result, prints one
/// line per request, serves an inspector at <c>/</c> (JSON at <c>/api/requests</c>), and passes each verified
/// webhook on to a local app, body and signature headers untouched, retrying until it answers 2xx.
/// </summary>
internal static partial class ListenCommand
{
    private const string ForwardHandler = "forward";

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
        var forwardOption = new Option<string?>("--forward-to") { Description = "Pass each verified webhook on to this URL (e.g. your app on localhost)" };
        var forwardTimeoutOption = SecondsOption.Create(
            "--forward-timeout", "Seconds the app has to answer a forwarded webhook before the forward is retried", 5, HttpWebhookSenderOptions.MaxTimeout.TotalSeconds);
        var command = new Command("listen", "Receive webhooks: verify, store and show every request; optionally forward the verified ones to a local app")
        {
            urlsOption, pathOption, publicKeyOption, dataOption, forwardOption, forwardTimeoutOption,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var output = TextWriter.Synchronized(parse.InvocationConfiguration.Output);
            var error = TextWriter.Synchronized(parse.InvocationConfiguration.Error);
            var path = parse.GetValue(pathOption)!;
            if (!LiteralPath().IsMatch(path))
            {
                // Not a route template either: '{id}' would match any segment, and '*' or '?' mean something too.
                error.WriteLine($"--path must be a URL path starting with '/' of letters, digits, '-', '.', '_', '~' and '/'; got '{path}'");
                return 2;
            }

            Uri? forwardTo = null;
            if (parse.GetValue(forwardOption) is { } forward
                && (!Uri.TryCreate(forward, UriKind.Absolute, out forwardTo) || forwardTo.Scheme is not ("http" or "https")))
            {
                error.WriteLine($"--forward-to must be an absolute http(s) URL; got '{forward}'");
                return 2;
            }

            var settings = new ListenSettings(
                parse.GetValue(urlsOption)!, path, parse.GetRequiredValue(publicKeyOption), parse.GetValue(dataOption)!, forwardTo,
                TimeSpan.FromSeconds(parse.GetValue(forwardTimeoutOption)));
            return await RunAsync(settings, time, output, error, cancellation);
        });
        return command;
    }

    private sealed record ListenSettings(string Urls, string Path, string[] PublicKeys, string DataDirectory, Uri? ForwardTo, TimeSpan ForwardTimeout);

    private static async Task<int> RunAsync(ListenSettings settings, TimeProvider time, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new WarningWriter(error));
        // A failed forward is printed as a line of its own; only a dead-lettered one is worth a warning too.
        builder.Logging.AddFilter("Switchboard.Receiver.Handlers.HandlerRunner", LogLevel.Error);
        builder.WebHost.UseUrls(settings.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        builder.Services.AddSingleton(time);
        var webhooks = builder.Services.AddTelnyxWebhooks(options =>
        {
            foreach (var key in settings.PublicKeys)
            {
                options.PublicKeys.Add(key);
            }

            options.DataDirectory = settings.DataDirectory;
            options.RecordAllRequests = true;
            options.MaxHandlerAttempts = 10;
            options.HandlerRetryDelay = TimeSpan.FromSeconds(1);
        });
        if (settings.ForwardTo is { } target)
        {
            var sender = new HttpWebhookSender(new HttpWebhookSenderOptions { AllowPrivateNetworks = true, Timeout = settings.ForwardTimeout }, time);
            builder.Services.AddSingleton(sender);
            webhooks.OnAny((context, cancellationToken) => ForwardAsync(sender, target, context, output, cancellationToken), ForwardHandler);
        }

        await using var app = builder.Build();
        app.Use(async (context, next) =>
        {
            await next(context);
            if (context.Request.Path.StartsWithSegments(settings.Path, StringComparison.Ordinal))
            {
                output.WriteLine(Describe(context, time));
            }
        });
        app.MapTelnyxWebhooks(settings.Path);
        app.MapGet("/", async (IWebhookInboxAdmin admin, CancellationToken ct) =>
            Results.Content(InspectorPage.Render(await admin.ListRequestsAsync(1, 100, ct), settings.Path), "text/html; charset=utf-8"));
        app.MapGet("/api/requests", async (IWebhookInboxAdmin admin, int? page, CancellationToken ct) =>
            Results.Json((await admin.ListRequestsAsync(Math.Max(page ?? 1, 1), 100, ct)).Select(InspectorPage.ToJson), InspectorPage.JsonOptions));

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

        foreach (var url in app.Urls)
        {
            output.WriteLine($"Listening on {url.TrimEnd('/')}{settings.Path}  (inspector: {url.TrimEnd('/')}/)");
        }

        if (settings.ForwardTo is not null)
        {
            output.WriteLine($"Forwarding verified webhooks to {settings.ForwardTo}");
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

    private static string Describe(HttpContext context, TimeProvider time)
    {
        var at = time.GetLocalNow().ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);
        var status = context.Response.StatusCode;
        if (context.Features.Get<WebhookReceipt>() is not { } receipt)
        {
            return $"{at}  {status}  {context.Request.Method} {context.Request.Path}";
        }

        var what = receipt.Outcome == "rejected" ? receipt.Reason : receipt.EventType;
        var id = receipt.EventId is null ? "" : $"  {receipt.EventId}";
        return $"{at}  {status}  {receipt.Outcome,-9} {what}{id}  ({receipt.Verification ?? "not verified"})";
    }

    private static async Task ForwardAsync(HttpWebhookSender sender, Uri target, Receiver.Handlers.WebhookContext context, TextWriter output, CancellationToken cancellationToken)
    {
        // Only what the app needs to verify the webhook itself: the signature headers, as they came.
        var headers = context.Headers
            .Where(h => h.Key.StartsWith("telnyx-", StringComparison.OrdinalIgnoreCase) || h.Key.StartsWith("webhook-", StringComparison.OrdinalIgnoreCase))
            .ToList();
        var outcome = await sender.SendAsync(new SendRequest(target, context.RawBody, headers), cancellationToken);
        if (outcome.Succeeded)
        {
            output.WriteLine($"           -> forwarded {context.Event.Id} to {target}: {outcome.StatusCode}");
            return;
        }

        var reason = outcome.StatusCode is { } code ? $"HTTP {code}" : $"{outcome.Error}: {outcome.ErrorDetail}";
        output.WriteLine($"           -> forwarding {context.Event.Id} failed (try {context.Attempt}): {reason}; retrying");
        throw new ForwardFailedException($"forwarding to {target} failed: {reason}");
    }

    private sealed class ForwardFailedException(string message) : Exception(message);

    [GeneratedRegex("^/[A-Za-z0-9._~/-]*$")]
    private static partial Regex LiteralPath();

    /// <summary>Warnings and errors of the host, one line each on stderr; the request lines go to stdout.</summary>
    private sealed class WarningWriter(TextWriter error) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            // "Hosting failed to start": the exception reaches RunAsync, which prints why ("cannot start: ..."); once is enough.
            if (IsEnabled(logLevel) && eventId.Name != "HostedServiceStartupFaulted")
            {
                error.WriteLine($"{logLevel.ToString().ToLowerInvariant()}: {formatter(state, exception)}{(exception is null ? "" : $" ({exception.Message})")}");
            }
        }

        public void Dispose()
        {
        }
    }
}

/// <summary>The inspector: a plain server-rendered list of recorded requests (the web UI comes later).</summary>
internal static class InspectorPage
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    public static object ToJson(RecordedRequest r) => new
    {
        r.ReceivedAt,
        r.Outcome,
        r.HttpStatus,
        r.Verification,
        r.Reason,
        r.Detail,
        r.EventId,
        r.EventType,
        Headers = r.Headers.Select(h => new[] { h.Key, h.Value }),
        Body = BodyText(r.Body, out var isBase64),
        BodyEncoding = isBase64 ? "base64" : "utf-8",
    };

    public static string Render(IReadOnlyList<RecordedRequest> requests, string path)
    {
        var html = HtmlEncoder.Default;
        var page = new StringBuilder();
        page.Append("<!doctype html><html><head><meta charset=\"utf-8\"><title>switchboard listen</title>")
            .Append("<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:.3em .6em;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}")
            .Append(".rejected{color:#a00}.duplicate{color:#a60}pre{white-space:pre-wrap;max-width:60em;margin:0}</style></head><body>")
            .Append("<h1>Webhooks received at ").Append(html.Encode(path)).Append("</h1>")
            .Append("<p>Newest first, the last ").Append(requests.Count).Append(". JSON: <a href=\"/api/requests\">/api/requests</a></p>")
            .Append("<table><tr><th>received</th><th>status</th><th>outcome</th><th>verification</th><th>event</th><th>reason</th><th>body</th></tr>");
        foreach (var r in requests)
        {
            page.Append("<tr class=\"").Append(html.Encode(r.Outcome)).Append("\"><td>")
                .Append(html.Encode(r.ReceivedAt.ToString("yyyy-MM-dd HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture))).Append("</td><td>")
                .Append(r.HttpStatus).Append("</td><td>").Append(html.Encode(r.Outcome)).Append("</td><td>")
                .Append(html.Encode(r.Verification)).Append("</td><td>")
                .Append(html.Encode($"{r.EventType} {r.EventId}")).Append("</td><td>")
                .Append(html.Encode(r.Reason ?? "")).Append(r.Detail is null ? "" : "<br><small>" + html.Encode(r.Detail) + "</small>").Append("</td><td><details><summary>")
                .Append(r.Body.Length).Append(" bytes</summary><pre>").Append(html.Encode(BodyText(r.Body, out _))).Append("</pre></details></td></tr>");
        }

        return page.Append("</table></body></html>").ToString();
    }

    private static string BodyText(byte[] body, out bool isBase64)
    {
        try
        {
            isBase64 = false;
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(body);
        }
        catch (DecoderFallbackException)
        {
            isBase64 = true;
            return Convert.ToBase64String(body);
        }
    }
}
