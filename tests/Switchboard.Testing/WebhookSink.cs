using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Switchboard.Testing;

/// <summary>One request as the sink saw it: raw body bytes and headers, nothing re-serialised.</summary>
public sealed record SinkRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    /// <summary>When the sink received it (a <see cref="Stopwatch"/> timestamp).</summary>
    public long ReceivedAt { get; } = Stopwatch.GetTimestamp();

    public string PathAndQuery => Path + Query;

    public string EventType => Data.GetProperty("event_type").GetString()!;

    public string EventId => Data.GetProperty("id").GetString()!;

    public int Attempt => Json.GetProperty("meta").GetProperty("attempt").GetInt32();

    public JsonElement Payload => Data.GetProperty("payload");

    public string? PayloadId => Payload.TryGetProperty("id", out var id) ? id.GetString() : null;

    /// <summary>A call event's session (every call event carries it).</summary>
    public string? CallSessionId => Payload.TryGetProperty("call_session_id", out var id) ? id.GetString() : null;

    private JsonElement Json => JsonDocument.Parse(Body).RootElement;

    private JsonElement Data => Json.GetProperty("data");
}

/// <summary>How the sink answers a request.</summary>
/// <param name="Status">The status code.</param>
/// <param name="Body">The body (UTF-8, with its Content-Length); none for a 204.</param>
public sealed record SinkResponse(int Status = StatusCodes.Status200OK, string Body = "")
{
    /// <summary>How long to hold the request before answering (a slow endpoint).</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>Never answer: hold the request until the client hangs up or the sink stops.</summary>
    public bool Hang { get; init; }

    /// <summary>Sets response headers (Location, Retry-After, …) before the body is written.</summary>
    public Action<HttpResponse>? Headers { get; init; }
}

/// <summary>
/// A webhook endpoint on 127.0.0.1 (an ephemeral port; HTTPS with a self-signed certificate on request) that records
/// every request (method, path, query, headers, raw body) and answers as the test says:
/// <list type="bullet">
/// <item><c>/status/NNN/…</c> answers NNN with <c>Location: /elsewhere</c> (so a client that follows redirects shows up there);</item>
/// <item><c>/hang/…</c> never answers (until the client hangs up);</item>
/// <item>a path from <see cref="Map(SinkResponse)"/> or <see cref="Map(RequestDelegate)"/> answers as mapped;</item>
/// <item>any other path answers what <see cref="Respond"/> says for it (200 by default).</item>
/// </list>
/// Usable as an xunit fixture (<see cref="IAsyncLifetime"/>) or through <see cref="StartAsync"/>.
/// </summary>
public sealed class WebhookSink : IAsyncLifetime, IAsyncDisposable
{
    private readonly bool _https;
    private readonly ConcurrentQueue<SinkRequest> _received = new();
    private readonly ConcurrentDictionary<string, RequestDelegate> _handlers = new();
    private readonly CancellationTokenSource _stopping = new();
    private WebApplication? _app;
    private X509Certificate2? _certificate;
    private Uri? _httpsBaseAddress;

    /// <summary>An HTTP-only sink, started by <see cref="InitializeAsync"/> (as an xunit fixture is).</summary>
    public WebhookSink()
    {
    }

    private WebhookSink(bool https) => _https = https;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The HTTPS listener's address (only when started with <c>https: true</c>).</summary>
    public Uri HttpsBaseAddress => _httpsBaseAddress ?? throw new InvalidOperationException("this sink was started without HTTPS");

    /// <summary>Every request received so far, in arrival order.</summary>
    public IReadOnlyCollection<SinkRequest> Received => _received;

    /// <summary>The answer for a path that is neither mapped nor a <c>/status</c> or <c>/hang</c> path; set it before the requests it is for arrive.</summary>
    public Func<string, SinkResponse> Respond { get; set; } = _ => new SinkResponse();

    public string Url(string path) => new Uri(BaseAddress, path).ToString();

    /// <param name="https">Also listen for HTTPS (a self-signed certificate no client trusts) at <see cref="HttpsBaseAddress"/>.</param>
    public static async Task<WebhookSink> StartAsync(bool https = false)
    {
        var sink = new WebhookSink(https);
        await sink.InitializeAsync();
        return sink;
    }

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        if (_https)
        {
            _certificate = CreateSelfSignedCertificate();
        }

        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0);
            if (_certificate is not null)
            {
                kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(_certificate));
            }
        });
        _app = builder.Build();
        _app.Run(ReceiveAsync);
        await _app.StartAsync();

        ICollection<string> addresses = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        BaseAddress = new Uri(addresses.Single(a => a.StartsWith("http://", StringComparison.Ordinal)));
        if (_https)
        {
            _httpsBaseAddress = new Uri(addresses.Single(a => a.StartsWith("https://", StringComparison.Ordinal)));
        }
    }

    /// <summary>Answers <paramref name="response"/> at a new path; returns its URL.</summary>
    public Uri Map(SinkResponse response) => Map(context => AnswerAsync(context, response));

    /// <summary>Runs <paramref name="handler"/> (after recording the request) at a new path; returns its URL. For answers <see cref="SinkResponse"/> cannot describe (a stalled body, a huge answer, …).</summary>
    public Uri Map(RequestDelegate handler)
    {
        string path = "/" + Guid.NewGuid().ToString("N");
        _handlers[path] = handler;
        return new Uri(BaseAddress, path);
    }

    /// <summary>The requests to <paramref name="pathAndQuery"/> so far, in arrival order.</summary>
    public IReadOnlyList<SinkRequest> RequestsTo(string pathAndQuery) => [.. _received.Where(r => r.PathAndQuery == pathAndQuery)];

    /// <summary>The received webhooks whose <c>data.payload.id</c> is <paramref name="resourceId"/>, in arrival order.</summary>
    public IReadOnlyList<SinkRequest> For(string resourceId) => [.. _received.Where(r => r.PayloadId == resourceId)];

    /// <summary>Waits until <paramref name="count"/> requests to <paramref name="url"/>'s path and query have arrived; returns them.</summary>
    public Task<IReadOnlyList<SinkRequest>> WaitForAsync(Uri url, int count = 1) =>
        Eventually.GetAsync(() => Task.FromResult(RequestsTo(url.PathAndQuery)), got => got.Count >= count, $"{count} request(s) to {url.PathAndQuery}");

    /// <summary>Waits for the first request to <paramref name="url"/>'s path and query; returns it.</summary>
    public async Task<SinkRequest> FirstAsync(Uri url) => (await WaitForAsync(url))[0];

    private async Task ReceiveAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        string path = context.Request.Path.Value ?? "";
        _received.Enqueue(new SinkRequest(
            context.Request.Method,
            path,
            context.Request.QueryString.Value ?? "",
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            body.ToArray()));

        if (_handlers.TryGetValue(path, out RequestDelegate? handler))
        {
            await handler(context);
            return;
        }

        await AnswerAsync(context, path.Split('/', StringSplitOptions.RemoveEmptyEntries) switch
        {
            ["status", var code, ..] when int.TryParse(code, NumberStyles.None, CultureInfo.InvariantCulture, out int status) =>
                new SinkResponse(status) { Headers = response => response.Headers.Location = "/elsewhere" },
            ["hang", ..] => new SinkResponse { Hang = true },
            _ => Respond(path),
        });
    }

    private async Task AnswerAsync(HttpContext context, SinkResponse response)
    {
        if (response.Hang || response.Delay > TimeSpan.Zero)
        {
            using var held = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
            try
            {
                await Task.Delay(response.Hang ? Timeout.InfiniteTimeSpan : response.Delay, held.Token);
            }
            catch (OperationCanceledException)
            {
                return; // the client hung up (as a hang test wants), or the sink is stopping
            }
        }

        context.Response.StatusCode = response.Status;
        response.Headers?.Invoke(context.Response);
        if (response.Body.Length > 0 && response.Status != StatusCodes.Status204NoContent)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(response.Body);
            context.Response.ContentLength = bytes.Length;
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
        }
    }

    public async Task DisposeAsync()
    {
        // Requests still held are let go now, so stopping need not wait for them.
        await _stopping.CancelAsync();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        _certificate?.Dispose();
        _stopping.Dispose();
    }

    async ValueTask IAsyncDisposable.DisposeAsync() => await DisposeAsync();

    private static X509Certificate2 CreateSelfSignedCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));
    }
}
