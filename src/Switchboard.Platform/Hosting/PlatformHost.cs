using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Hosting;
using Switchboard.Delivery;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Switchboard.Delivery.Http;
using Switchboard.Delivery.Outbox;
using Switchboard.DurableWork;
using Switchboard.Platform.Api;
using Switchboard.Platform.Calls;
using Switchboard.Platform.Lifecycle;
using Switchboard.Platform.Messaging;
using Switchboard.Platform.Numbers;
using Switchboard.Platform.Storage;
using Switchboard.Platform.Webhooks;

namespace Switchboard.Platform.Hosting;

/// <summary>
/// Builds and starts the platform as a web application: registers the store (SQLite in the data folder, or PostgreSQL) with
/// <c>AddWorkStore</c>, which opens it and brings its tables up to date first, and webhook delivery with
/// <c>AddWebhookDelivery</c>; sets the global webhook URLs given at start, then serves what <see cref="PlatformOptions.Role"/>
/// asks for: the API, and the background work (lifecycle steps and the webhook dispatcher). <c>switchboard serve</c>
/// only hosts this.
/// </summary>
public static class PlatformHost
{
    /// <summary>The SQLite database's name in the data folder.</summary>
    public const string DatabaseFile = "switchboard.db";

    /// <summary>Starts the platform on <paramref name="urls"/>; stop it by disposing the returned application.</summary>
    /// <param name="mapPages">
    /// Maps the web pages (the dashboard, <c>Switchboard.Web</c>) in place of the plain home page, when this process serves the API.
    /// </param>
    /// <exception cref="ArgumentException">The options are not valid (the message lists every problem).</exception>
    /// <exception cref="WorkStoreInUseException">Another process has the SQLite data folder open.</exception>
    public static Task<WebApplication> StartAsync(
        PlatformOptions options, IReadOnlyList<string> urls, Action<ILoggingBuilder>? logging = null, TimeProvider? time = null,
        Action<WebApplication>? mapPages = null, CancellationToken cancellationToken = default) =>
        StartAsync(options, urls, logging, time, mapPages, watchStore: null, cancellationToken);

    /// <param name="watchStore">Tests: wraps the opened store, which everything in the process then uses (to see when the workers are idle on a fake clock).</param>
    internal static async Task<WebApplication> StartAsync(
        PlatformOptions options, IReadOnlyList<string> urls, Action<ILoggingBuilder>? logging, TimeProvider? time,
        Action<WebApplication>? mapPages, Func<IWorkStore, IWorkStore>? watchStore, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate().ToList();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", problems));
        }

        time ??= TimeProvider.System;
        var app = Build(options, urls, logging, time, watchStore);
        try
        {
            // The store opens first, with the platform's migrations: the endpoints take the services that need it when mapped.
            await app.Services.OpenWorkStoreAsync(cancellationToken);
            Map(app, options, mapPages);
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        if (options.PublicBaseUrl.Length == 0)
        {
            // Links (recordings) name this process as it is reached: its first address, with the port it bound.
            options.PublicBaseUrl = app.Urls.First().TrimEnd('/');
        }

        return app;
    }

    private static WebApplication Build(
        PlatformOptions options, IReadOnlyList<string> urls, Action<ILoggingBuilder>? logging, TimeProvider time, Func<IWorkStore, IWorkStore>? watchStore)
    {
        // A tool's host: the working folder is the user's (their app's appsettings.json, our data folder inside it), so
        // the content root, where configuration files are read and watched, is the tool's own folder.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls([.. urls]);
        if (logging is not null)
        {
            builder.Logging.ClearProviders();
            logging(builder.Logging);
        }

        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(time);
        // The store is disposed with the application (after the hosted services have stopped), and with it the SQLite
        // file lock, so a restarted process can open the folder at once.
        services.AddWorkStore(store =>
        {
            if (options.PostgresConnectionString is { } connectionString)
            {
                var heartbeat = options.TakeoverAfter / 10 < TimeSpan.FromSeconds(1) ? options.TakeoverAfter / 10 : TimeSpan.FromSeconds(1);
                store.UseNpgsql(connectionString, o =>
                {
                    o.TakeoverAfter = options.TakeoverAfter;
                    o.HeartbeatInterval = heartbeat;
                });
            }
            else
            {
                store.UseSqlite(o => o.DatabasePath = Path.Combine(options.DataDirectory, DatabaseFile));
            }

            if (watchStore is not null)
            {
                store.Wrap(watchStore);
            }
        });
        services.AddHostedService<GlobalWebhooksAtStart>();
        services.AddWebhookDelivery(delivery =>
        {
            delivery.SigningKey = options.SigningKey;
            delivery.Delivery = new DeliveryOptions
            {
                Schedule = options.RetrySchedule,
                AttemptLogLimit = options.AttemptLogLimit,
                // The same retention as PlatformRetention's, which also prunes the delivery queue.
                Retention = new RetentionOptions { KeepFinishedFor = options.Retention },
            };
            delivery.Http = new HttpWebhookSenderOptions { Timeout = options.AttemptTimeout, AllowPrivateNetworks = !options.BlockPrivateTargets };
            delivery.RunDispatcher = options.RunsWorkers;
        });
        services.AddSingleton<EventPublisher>();
        services.AddWorkQueue(LifecycleSteps.Queue);
        services.AddSingleton(sp => new LifecycleSteps(sp.GetRequiredKeyedService<WorkQueue>(LifecycleSteps.Queue)));
        services.AddSingleton<IPlannedStepHandler, MessageLifecycle>();
        services.AddSingleton<CallLifecycle>();
        services.AddSingleton<IPlannedStepHandler>(sp => sp.GetRequiredService<CallLifecycle>());
        services.AddSingleton<CallEvents>();
        services.AddSingleton<RecordingLinks>();
        services.AddSingleton<Recordings>();
        services.AddSingleton<CallControl>();
        services.AddSingleton<CallLog>();
        services.AddSingleton<CallControlApplications>();
        services.AddSingleton<MessagingProfiles>();
        services.AddSingleton<PhoneNumbers>();
        services.AddSingleton<AvailableNumbers>();
        services.AddSingleton<Messages>();
        services.AddSingleton<WebhookDeliveries>();
        services.AddSingleton<GlobalWebhookSettings>();
        services.AddSingleton<ApiKeyFilter>();
        if (options.RunsWorkers)
        {
            services.AddWorkQueue<LifecycleRunner>(LifecycleSteps.Queue, LifecycleRunner.Configure);
            services.AddSingleton<PlatformRetention>();
            services.AddHostedService<AfterStoreOpens<PlatformRetention>>();
        }

        services.AddHealthChecks().AddCheck<PlatformHealthCheck>("platform");
        services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService("switchboard")).WithMetrics(metrics => metrics
            .AddMeter(DeliveryMeter.Name, PlatformMetrics.MeterName)
            .AddPrometheusExporter());
        services.AddSingleton<PlatformMetrics>();
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, PlatformJson.Wire));

        return builder.Build();
    }

    private static void Map(WebApplication app, PlatformOptions options, Action<WebApplication>? mapPages)
    {
        if (options.RunsApi)
        {
            PlatformApi.Map(app);
        }

        PlatformApi.MapRecordings(app);

        if (options.RunsApi && mapPages is not null)
        {
            mapPages(app);
        }
        else
        {
            app.MapGet("/", (HttpContext context) => Results.Content(HomePage(context, options), "text/html; charset=utf-8"));
        }

        app.MapHealthChecks("/healthz", new HealthCheckOptions
        {
            ResultStatusCodes = { [HealthStatus.Degraded] = StatusCodes.Status200OK },
            ResponseWriter = PlatformHealthCheck.WriteAsync,
        });
        app.MapPrometheusScrapingEndpoint("/metrics");
    }

    private static string HomePage(HttpContext context, PlatformOptions options)
    {
        var html = HtmlEncoder.Default;
        var baseUrl = $"{context.Request.Scheme}://{context.Request.Host}";
        return "<!doctype html><html><head><meta charset=\"utf-8\"><title>Switchboard</title></head><body style=\"font-family:system-ui,sans-serif;margin:2em\">" +
            "<h1>Switchboard: a Telnyx-compatible platform</h1>" +
            $"<p>API base URL: <code>{html.Encode(baseUrl)}/v2</code> (send <code>Authorization: Bearer YOUR_API_KEY</code>)</p>" +
            $"<p>Webhook public key (Ed25519, base64): <code>{html.Encode(options.SigningKey!.PublicKey.ToBase64())}</code></p>" +
            $"<p>Point an official Telnyx SDK at it with <code>TELNYX_BASE_URL={html.Encode(baseUrl)}/v2</code>. Health: <a href=\"/healthz\">/healthz</a>, metrics: <a href=\"/metrics\">/metrics</a>.</p>" +
            $"<p>Role: {html.Encode(options.Role.ToString().ToLowerInvariant())}</p></body></html>";
    }
}

/// <summary>Sets the global webhook URLs given at start, once the store has opened and before the API serves.</summary>
internal sealed class GlobalWebhooksAtStart(PlatformOptions options, IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        options.GlobalWebhookUrl is null && options.GlobalWebhookFailoverUrl is null
            ? Task.CompletedTask
            : services.GetRequiredService<GlobalWebhookSettings>().SetAsync(new GlobalWebhooks(options.GlobalWebhookUrl, options.GlobalWebhookFailoverUrl), cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>
/// Runs a hosted service that needs the store: the host makes its hosted services before the store opens, so this one is
/// made when it starts.
/// </summary>
internal sealed class AfterStoreOpens<T>(IServiceProvider services) : IHostedService
    where T : IHostedService
{
    private T? _service;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _service = services.GetRequiredService<T>();
        return _service.StartAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => _service?.StopAsync(cancellationToken) ?? Task.CompletedTask;
}
