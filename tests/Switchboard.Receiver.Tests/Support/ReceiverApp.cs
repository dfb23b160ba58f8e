using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Switchboard.Events;
using Switchboard.Receiver.Inbox;
using Switchboard.Signing;

namespace Switchboard.Receiver.Tests.Support;

/// <summary>A real receiver: a WebApplication on 127.0.0.1 and a free port, with the library mapped at /webhooks/telnyx.</summary>
internal sealed class ReceiverApp : IAsyncDisposable
{
    private ReceiverApp(WebApplication app, LogSink logs)
    {
        App = app;
        Logs = logs;
        BaseUrl = new Uri(app.Urls.Single());
        Client = new HttpClient { BaseAddress = BaseUrl };
    }

    public WebApplication App { get; }

    public LogSink Logs { get; }

    public Uri BaseUrl { get; }

    public HttpClient Client { get; }

    public IWebhookInboxAdmin Admin => App.Services.GetRequiredService<IWebhookInboxAdmin>();

    public static async Task<ReceiverApp> StartAsync(Action<TelnyxWebhookOptions> configure, Action<TelnyxWebhooksBuilder>? handlers = null, Action<WebApplicationBuilder>? more = null, Action<WebApplication>? map = null, Action<WebApplication>? mapWebhooks = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        var logs = new LogSink();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var webhooks = builder.Services.AddTelnyxWebhooks(configure);
        handlers?.Invoke(webhooks);
        more?.Invoke(builder);
        var app = builder.Build();
        if (mapWebhooks is null)
        {
            app.MapTelnyxWebhooks();
        }
        else
        {
            mapWebhooks(app);
        }

        map?.Invoke(app);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return new ReceiverApp(app, logs);
    }

    public async Task<HttpResponseMessage> PostAsync(byte[] body, IEnumerable<KeyValuePair<string, string>> headers, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/telnyx") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        foreach (var (name, value) in headers)
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return await Client.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

/// <summary>A Telnyx-like sender for the tests: a key pair and signed webhook bodies.</summary>
internal sealed class TestSender : IDisposable
{
    private readonly Ed25519PrivateKey _key = Ed25519PrivateKey.Generate();

    public string PublicKey => _key.PublicKey.ToBase64();

    public static byte[] Body(string eventType = EventTypes.MessageReceived, string? id = null, DateTimeOffset? occurredAt = null, string messageId = "msg-1")
    {
        var data = SampleEvents.Create(eventType, TimeProvider.System);
        var payload = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(data.Payload.GetRawText())!;
        payload["id"] = JsonSerializer.SerializeToElement(messageId);
        var withId = new WebhookEvent
        {
            EventType = eventType,
            Id = id ?? Guid.NewGuid().ToString(),
            OccurredAt = occurredAt ?? data.OccurredAt,
            Payload = JsonSerializer.SerializeToElement(payload),
        };
        return new WebhookEnvelope { Data = withId, Meta = new WebhookMeta { Attempt = 1, DeliveredTo = "http://127.0.0.1/webhooks/telnyx" } }.ToUtf8Bytes();
    }

    public IReadOnlyList<KeyValuePair<string, string>> Sign(byte[] body, DateTimeOffset? at = null) =>
        new Ed25519WebhookSigner(_key).Sign(body, at ?? DateTimeOffset.UtcNow, "");

    public void Dispose() => _key.Dispose();
}

/// <summary>Counts handler runs by (event id, handler), like an idempotent sink would.</summary>
internal sealed class HandlerSink
{
    private readonly ConcurrentDictionary<(string EventId, string Handler), int> _runs = new();
    private readonly ConcurrentQueue<WebhookContextSnapshot> _contexts = new();

    public void Ran(string handler, WebhookContext context)
    {
        _runs.AddOrUpdate((context.Event.Id, handler), 1, (_, n) => n + 1);
        _contexts.Enqueue(new(handler, context.Event.Id, context.Event.EventType, context.Verified, context.Attempt));
    }

    public int Runs(string eventId, string handler) => _runs.GetValueOrDefault((eventId, handler));

    public int Total => _runs.Values.Sum();

    public IReadOnlyList<WebhookContextSnapshot> Contexts => [.. _contexts];
}

internal sealed record WebhookContextSnapshot(string Handler, string EventId, string EventType, bool Verified, int Attempt);

/// <summary>Keeps every log line the host's filters let through (Information and up, unless a test asks for more), to assert on.</summary>
internal sealed class LogSink : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, string Category, string Message)> _entries = new();

    public IReadOnlyList<(LogLevel Level, string Category, string Message)> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogSink sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                sink._entries.Enqueue((logLevel, category, formatter(state, exception)));
            }
        }
    }
}

/// <summary>
/// Data folders for the tests' receivers, all under one folder per test run that is removed when the run's process
/// exits (the receivers' databases are still open until their hosts stop, and many tests never stop theirs).
/// </summary>
internal static class TempFolder
{
    private static readonly Lazy<string> RunFolder = new(() =>
    {
        var folder = Directory.CreateTempSubdirectory("switchboard-receiver-tests-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A child process still writing into it: the folder stays behind in the system's temp folder.
            }
        };
        return folder;
    });

    public static string Create() => Directory.CreateDirectory(Path.Combine(RunFolder.Value, Guid.NewGuid().ToString("N"))).FullName;
}

internal static class Text
{
    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
