using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Switchboard.Delivery.Tests.Http;

/// <summary>
/// A Kestrel server on 127.0.0.1 (a free port, plain HTTP and HTTPS with a self-signed certificate). Each test maps
/// its own handler under a fresh path, so tests can share one server.
/// </summary>
public sealed class LoopbackServer : IAsyncLifetime
{
    private readonly ConcurrentDictionary<string, RequestDelegate> _routes = new();
    private WebApplication? _app;
    private X509Certificate2? _certificate;

    public Uri HttpBase { get; private set; } = null!;
    public Uri HttpsBase { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _certificate = CreateSelfSignedCertificate();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0);
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(_certificate));
        });
        _app = builder.Build();
        _app.Run(context => _routes.TryGetValue(context.Request.Path.Value ?? "", out RequestDelegate? handler)
            ? handler(context)
            : WriteStatus(context, StatusCodes.Status404NotFound));
        await _app.StartAsync();

        ICollection<string> addresses = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        HttpBase = new Uri(addresses.Single(a => a.StartsWith("http://", StringComparison.Ordinal)));
        HttpsBase = new Uri(addresses.Single(a => a.StartsWith("https://", StringComparison.Ordinal)));
    }

    /// <summary>Serves <paramref name="handler"/> at a new path; returns its http URL.</summary>
    public Uri Map(RequestDelegate handler)
    {
        string path = "/" + Guid.NewGuid().ToString("N");
        _routes[path] = handler;
        return new Uri(HttpBase, path);
    }

    public Uri MapHttps(RequestDelegate handler) => new(HttpsBase, Map(handler).AbsolutePath);

    /// <summary>Records the request, then answers <paramref name="status"/> with <paramref name="body"/>.</summary>
    public (Uri Url, Task<ReceivedRequest> Received) MapRecording(int status = 200, string body = "", Action<HttpResponse>? configure = null)
    {
        var received = new TaskCompletionSource<ReceivedRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        Uri url = Map(async context =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            received.TrySetResult(new ReceivedRequest(context.Request.Method, buffer.ToArray(), headers));
            context.Response.StatusCode = status;
            configure?.Invoke(context.Response);
            byte[] bytes = Encoding.UTF8.GetBytes(body);
            if (status != StatusCodes.Status204NoContent)
            {
                context.Response.ContentLength = bytes.Length;
                await context.Response.Body.WriteAsync(bytes);
            }
        });
        return (url, received.Task);
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        _certificate?.Dispose();
    }

    private static Task WriteStatus(HttpContext context, int status)
    {
        context.Response.StatusCode = status;
        return Task.CompletedTask;
    }

    private static X509Certificate2 CreateSelfSignedCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));
    }
}

public sealed record ReceivedRequest(string Method, byte[] Body, IReadOnlyDictionary<string, string> Headers);
