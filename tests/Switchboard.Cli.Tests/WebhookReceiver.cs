using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Switchboard.Cli.Tests;

/// <summary>One request as the receiver saw it: raw body bytes and headers, nothing re-serialised.</summary>
public sealed record ReceivedRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, byte[] Body);

/// <summary>
/// A minimal Kestrel app on 127.0.0.1 with an ephemeral port that records every request. The path chooses the
/// answer: <c>/status/NNN/…</c> answers NNN, <c>/hang/…</c> never answers, anything else answers 200.
/// </summary>
public sealed class WebhookReceiver : IAsyncLifetime
{
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();
    private WebApplication? _app;

    public string BaseUrl { get; private set; } = "";

    public IReadOnlyList<ReceivedRequest> RequestsTo(string pathAndQuery) =>
        [.. _requests.Where(r => r.PathAndQuery == pathAndQuery)];

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        _app = builder.Build();
        _app.Run(Receive);
        await _app.StartAsync();
        BaseUrl = _app.Urls.Single();
    }

    private async Task Receive(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var pathAndQuery = context.Request.Path + context.Request.QueryString;
        _requests.Enqueue(new ReceivedRequest(
            context.Request.Method,
            pathAndQuery,
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            body.ToArray()));

        var segments = context.Request.Path.Value!.Split('/', StringSplitOptions.RemoveEmptyEntries);
        switch (segments)
        {
            case ["status", var code, ..]:
                context.Response.StatusCode = int.Parse(code, CultureInfo.InvariantCulture);
                context.Response.Headers.Location = "/elsewhere";
                break;
            case ["hang", ..]:
                try
                {
                    await Task.Delay(Timeout.Infinite, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    // the client gave up, as the test wants
                }

                break;
            default:
                await context.Response.WriteAsync("ok", context.RequestAborted);
                break;
        }
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
