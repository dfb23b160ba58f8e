using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Switchboard.Testing;

/// <summary>One POST the app received: path, body, and when it arrived (a <see cref="Stopwatch"/> timestamp).</summary>
public sealed record ReceivedPost(string Path, byte[] Body, long ReceivedAt)
{
    /// <summary>The webhook's <c>data.id</c>.</summary>
    public string EventId => Read(json => json.GetProperty("data").GetProperty("id").GetString()!);

    /// <summary>The webhook's <c>meta.attempt</c>, or null if it has none.</summary>
    public int? Attempt => Read(json => json.TryGetProperty("meta", out var meta) && meta.TryGetProperty("attempt", out var attempt) ? attempt.GetInt32() : (int?)null);

    private T Read<T>(Func<JsonElement, T> read)
    {
        using var json = JsonDocument.Parse(Body);
        return read(json.RootElement);
    }
}

/// <summary>
/// The local app that webhooks are delivered or forwarded to, on 127.0.0.1, as slow as a test needs: every POST is
/// recorded as it arrives, then answered (200, empty) once the task that <see cref="AnswerWhen"/> returns for it completes (at
/// once by default). A request whose client goes away (a killed process) stops waiting.
/// </summary>
public sealed class SlowApp : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<ReceivedPost> _received = [];
    private readonly CancellationTokenSource _stopping = new();

    private SlowApp(WebApplication app) => _app = app;

    /// <summary>When to answer a request; set before the requests it is for arrive.</summary>
    public Func<ReceivedPost, Task> AnswerWhen { get; set; } = _ => Task.CompletedTask;

    public Uri BaseAddress { get; private set; } = null!;

    public IReadOnlyList<ReceivedPost> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    public Uri Url(string path) => new(BaseAddress, path);

    public static async Task<SlowApp> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = new SlowApp(builder.Build());
        app._app.MapPost("/{**path}", app.ReceiveAsync);
        await app._app.StartAsync();
        app.BaseAddress = new Uri(app._app.Urls.Single());
        return app;
    }

    private async Task ReceiveAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var post = new ReceivedPost(context.Request.Path.Value ?? "", body.ToArray(), Stopwatch.GetTimestamp());
        lock (_received)
        {
            _received.Add(post);
        }

        using var heldUntil = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        try
        {
            await AnswerWhen(post).WaitAsync(heldUntil.Token);
        }
        catch (OperationCanceledException)
        {
            // The client went away (killed) while the app held its request, or the app is stopping.
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Requests still held are answered now, so stopping need not wait for them.
        await _stopping.CancelAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stopping.Dispose();
    }
}
