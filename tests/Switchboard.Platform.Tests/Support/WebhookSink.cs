using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Switchboard.Signing;

namespace Switchboard.Platform.Tests.Support;

/// <summary>
/// A customer's webhook endpoint on 127.0.0.1: records every request (path, headers, raw body) and answers with the
/// status <see cref="Respond"/> gives for its path (200 by default).
/// </summary>
public sealed class WebhookSink : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WebhookSink(WebApplication app) => _app = app;

    public ConcurrentQueue<SinkRequest> Received { get; } = new();

    public Func<string, int> Respond { get; set; } = _ => 200;

    /// <summary>How long to hold each request of a path before answering (a slow endpoint); none by default.</summary>
    public Func<string, TimeSpan> Delay { get; set; } = _ => TimeSpan.Zero;

    public Uri BaseAddress { get; private set; } = null!;

    public string Url(string path) => new Uri(BaseAddress, path).ToString();

    public static async Task<WebhookSink> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var sink = new WebhookSink(app);
        app.Run(async context =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            var path = context.Request.Path.Value ?? "";
            sink.Received.Enqueue(new SinkRequest(path, buffer.ToArray(),
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
            if (sink.Delay(path) is { } delay && delay > TimeSpan.Zero)
            {
                await Task.Delay(delay);
            }

            context.Response.StatusCode = sink.Respond(path);
        });
        await app.StartAsync();
        sink.BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return sink;
    }

    /// <summary>The received webhooks whose <c>data.payload.id</c> is <paramref name="resourceId"/>, in arrival order.</summary>
    public IReadOnlyList<SinkRequest> For(string resourceId) =>
        [.. Received.Where(r => r.PayloadId == resourceId)];

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed record SinkRequest(string Path, byte[] Body, IReadOnlyDictionary<string, string> Headers)
{
    /// <summary>When the sink received it (a <see cref="System.Diagnostics.Stopwatch"/> timestamp).</summary>
    public long ReceivedAt { get; } = System.Diagnostics.Stopwatch.GetTimestamp();

    private JsonElement Json => JsonDocument.Parse(Body).RootElement;

    public string EventType => Json.GetProperty("data").GetProperty("event_type").GetString()!;

    public string EventId => Json.GetProperty("data").GetProperty("id").GetString()!;

    public int Attempt => Json.GetProperty("meta").GetProperty("attempt").GetInt32();

    public string? PayloadId => Json.GetProperty("data").GetProperty("payload").TryGetProperty("id", out var id) ? id.GetString() : null;

    /// <summary>A call event's session (every call event carries it).</summary>
    public string? CallSessionId => Json.GetProperty("data").GetProperty("payload").TryGetProperty("call_session_id", out var id) ? id.GetString() : null;

    public JsonElement Payload => Json.GetProperty("data").GetProperty("payload");

    /// <summary>Verifies the Ed25519 signature on the raw body, as a receiver must.</summary>
    public bool VerifiesWith(string publicKey) =>
        Ed25519WebhookVerifier.FromBase64([publicKey], TimeProvider.System).Verify(Body, new DictionaryHeaders(Headers)).IsValid;

    private sealed class DictionaryHeaders(IReadOnlyDictionary<string, string> headers) : IWebhookHeaders
    {
        public string? Get(string name) => headers.TryGetValue(name, out var value) ? value : null;
    }
}
