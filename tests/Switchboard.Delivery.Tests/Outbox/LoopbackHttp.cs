using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Switchboard.Delivery.Tests.Outbox;

/// <summary>A webhook endpoint on 127.0.0.1: <c>/ok</c> answers 200, <c>/fail</c> 500; it keeps what it received.</summary>
public sealed class LoopbackSink : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackSink(WebApplication app) => _app = app;

    public ConcurrentQueue<(string Path, byte[] Body, KeyValuePair<string, string>[] Headers)> Received { get; } = new();

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>False for load runs: count requests without keeping them.</summary>
    public bool KeepRequests { get; set; } = true;

    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public Uri Url(string path) => new(BaseAddress, path);

    public static async Task<LoopbackSink> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var sink = new LoopbackSink(app);
        app.MapPost("/{**path}", async (HttpContext context) =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            Interlocked.Increment(ref sink._count);
            if (sink.KeepRequests)
            {
                sink.Received.Enqueue((context.Request.Path.Value ?? "", buffer.ToArray(),
                    [.. context.Request.Headers.Select(h => new KeyValuePair<string, string>(h.Key, h.Value.ToString()))]));
            }

            context.Response.StatusCode = context.Request.Path.StartsWithSegments("/ok") ? 200 : 500;
            await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes("thanks"));
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        sink.BaseAddress = new Uri(address);
        return sink;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
