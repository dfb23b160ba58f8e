using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.Events;
using Switchboard.Receiver.Tests.Support;
using Switchboard.Testing;

namespace Switchboard.Receiver.Tests;

/// <summary>The receiver's API as an app uses it: registration, mapping, class handlers, handler names, configuration.</summary>
public sealed class ReceiverApiTests : IDisposable
{
    private readonly TestSender _sender = new();
    private readonly string _data = TempFolder.Create();

    public void Dispose() => _sender.Dispose();

    [Fact]
    public async Task Mapping_without_adding_the_services_fails_at_start_naming_the_missing_call()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        await using var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapTelnyxWebhooks());

        Assert.Contains("AddTelnyxWebhooks", error.Message, StringComparison.Ordinal);
        Assert.Contains("AddTelnyxWebhooks", Assert.Throws<InvalidOperationException>(() => app.MapTelnyxWebhooksAdmin()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_builder_that_mapping_returns_covers_the_post_and_the_405_routes()
    {
        await using var app = await ReceiverApp.StartAsync(Options, mapWebhooks: web => web.MapTelnyxWebhooks().RequireHost("elsewhere.example"));
        var body = TestSender.Body(id: "e-host");

        using var post = await app.PostAsync(body, _sender.Sign(body));
        using var get = await app.Client.GetAsync("/webhooks/telnyx");

        // Both routes carry the host requirement, so neither matches a request for 127.0.0.1.
        Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        using var other = new HttpRequestMessage(HttpMethod.Get, "/webhooks/telnyx") { Headers = { Host = "elsewhere.example" } };
        using var elsewhere = await app.Client.SendAsync(other);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, elsewhere.StatusCode);
    }

    [Fact]
    public async Task A_class_handler_is_resolved_from_dependency_injection_with_its_constructor_arguments()
    {
        var seen = new SeenTexts();
        await using var app = await ReceiverApp.StartAsync(Options,
            h => h.On<MessagePayload, RecordingHandler>(EventTypes.MessageReceived).OnAny<CountingHandler>(),
            more: builder => builder.Services.AddSingleton(seen));

        var body = TestSender.Body(EventTypes.MessageReceived, id: "e-class");
        using var response = await app.PostAsync(body, _sender.Sign(body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var entry = await Eventually.GetAsync(() => app.Admin.GetAsync("e-class"), e => e?.State == InboxEntryState.Handled, "the event to be handled");
        Assert.Equal([$"e-class:{SampleEvents.Create(EventTypes.MessageReceived, TimeProvider.System).GetPayload<MessagePayload>()!.Text}"], seen.Texts);
        Assert.Equal(1, seen.Any);
        // Class handlers are named by their type's full name unless given a name.
        Assert.Equal([typeof(CountingHandler).FullName, typeof(RecordingHandler).FullName], entry!.HandlerRuns.Select(r => r.Handler).Order());
    }

    [Fact]
    public void Handlers_that_could_run_for_one_event_cannot_share_a_name()
    {
        var webhooks = new ServiceCollection().AddTelnyxWebhooks(Options);
        webhooks.OnAny("audit", (_, _) => Task.CompletedTask)
            .On(EventTypes.MessageSent, "status", (_, _) => Task.CompletedTask)
            .On(EventTypes.MessageFinalized, "status", (_, _) => Task.CompletedTask) // never runs for the same event as the one above
            .OnAny<CountingHandler>();

        var twice = Assert.Throws<ArgumentException>(() => webhooks.OnUnknown("audit", (_, _) => Task.CompletedTask));
        Assert.Contains("'audit' is already registered (for any event)", twice.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => webhooks.On(EventTypes.MessageSent, "status", (_, _) => Task.CompletedTask));
        Assert.Throws<ArgumentException>(() => webhooks.OnAny("status", (_, _) => Task.CompletedTask));
        Assert.Throws<ArgumentException>(() => webhooks.OnAny<CountingHandler>());
        Assert.Throws<ArgumentException>(() => webhooks.OnAny(" ", (_, _) => Task.CompletedTask));
        // A second AddTelnyxWebhooks adds to the same handlers.
        Assert.Throws<ArgumentException>(() => webhooks.Services.AddTelnyxWebhooks(Options).OnAny("audit", (_, _) => Task.CompletedTask));
    }

    [Fact]
    public void A_payload_type_that_the_event_does_not_carry_is_refused_at_registration()
    {
        var webhooks = new ServiceCollection().AddTelnyxWebhooks(Options);

        var error = Assert.Throws<ArgumentException>(() => webhooks.On<CallHangupPayload>(EventTypes.MessageReceived, "wrong", (_, _, _) => Task.CompletedTask));

        Assert.Contains("carries a MessagePayload", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Options_bind_from_configuration_and_are_validated_at_start()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Telnyx:PublicKeys:0"] = _sender.PublicKey,
            ["Telnyx:DataDirectory"] = _data,
            ["Telnyx:Tolerance"] = "00:02:00",
            ["Telnyx:HandlerConcurrency"] = "3",
        }).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddTelnyxWebhooks(configuration.GetSection("Telnyx"));
        await using (var provider = services.BuildServiceProvider())
        {
            var options = provider.GetRequiredService<IOptions<TelnyxWebhookOptions>>().Value;
            Assert.Equal([_sender.PublicKey], options.PublicKeys);
            Assert.Equal(_data, options.DataDirectory);
            Assert.Equal(TimeSpan.FromMinutes(2), options.Tolerance);
            Assert.Equal(3, options.HandlerConcurrency);
        }

        var bad = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Telnyx:PublicKeys:0"] = _sender.PublicKey,
            ["Telnyx:DataDirectory"] = _data,
            ["Telnyx:MaxBodyBytes"] = "10",
        }).Build();
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => ReceiverApp.StartAsync(
            _ => { }, more: builder => builder.Services.AddTelnyxWebhooks(bad.GetSection("Telnyx"))));
        Assert.Contains(error.Failures, f => f.Contains("MaxBodyBytes must be between 1 KiB and 64 MiB; got 10", StringComparison.Ordinal));
    }

    [Fact]
    public void A_receiver_on_sqlite_does_not_load_the_postgresql_or_redis_clients()
    {
        string[] optional = ["Npgsql", "StackExchange.Redis"];
        foreach (var assembly in new[] { typeof(TelnyxWebhookOptions).Assembly, typeof(DurableWork.IWorkStore).Assembly, typeof(WebhookEnvelope).Assembly })
        {
            Assert.DoesNotContain(assembly.GetReferencedAssemblies(), name => optional.Contains(name.Name));
        }
    }

    [Fact]
    public async Task A_bad_postgresql_setting_stops_the_start()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => ReceiverApp.StartAsync(
            o => o.PublicKeys.Add(_sender.PublicKey),
            h => h.UsePostgreSql("Host=127.0.0.1;No Such Keyword=1", o => o.TakeoverAfter = TimeSpan.FromMilliseconds(1))));

        Assert.Contains(error.Failures, f => f.StartsWith("UsePostgreSql: ", StringComparison.Ordinal) && f.Contains("no such keyword", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task A_data_folder_inside_the_content_root_is_pointed_out_at_start()
    {
        // The host's configuration reload watches its content root (here the working folder), subfolders included.
        var inside = Path.Combine(Directory.GetCurrentDirectory(), $"watched-data-{Guid.NewGuid():N}");
        try
        {
            await using (var watched = await ReceiverApp.StartAsync(o => { Options(o); o.DataDirectory = inside; }))
            {
                Assert.Contains(watched.Logs.Entries, e => e.Level == LogLevel.Information
                    && e.Message.Contains($"data folder {inside} is inside the content root", StringComparison.Ordinal));
            }

            // Said while the host starts, so it would be in the log by now.
            await using var elsewhere = await ReceiverApp.StartAsync(Options);
            Assert.DoesNotContain(elsewhere.Logs.Entries, e => e.Message.Contains("inside the content root", StringComparison.Ordinal));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(inside, recursive: true);
        }
    }

    private void Options(TelnyxWebhookOptions options)
    {
        options.PublicKeys.Add(_sender.PublicKey);
        options.DataDirectory = _data;
    }

    private sealed class SeenTexts
    {
        public List<string> Texts { get; } = [];

        public int Any;
    }

    private sealed class RecordingHandler(SeenTexts seen) : ITelnyxWebhookHandler<MessagePayload>
    {
        public Task HandleAsync(MessagePayload payload, WebhookContext context, CancellationToken cancellationToken)
        {
            lock (seen)
            {
                seen.Texts.Add($"{context.Event.Id}:{payload.Text}");
            }

            return Task.CompletedTask;
        }
    }

    private sealed class CountingHandler(SeenTexts seen) : ITelnyxWebhookHandler
    {
        public Task HandleAsync(WebhookContext context, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref seen.Any);
            return Task.CompletedTask;
        }
    }
}
