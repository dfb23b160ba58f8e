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
using Npgsql;
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
/// Builds and starts the platform as a web application: opens the store (SQLite in the data folder, or PostgreSQL) and
/// brings its tables up to date, sets the global webhook URLs given at start, then serves what <see cref="PlatformOptions.Role"/>
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
    public static async Task<WebApplication> StartAsync(
        PlatformOptions options, IReadOnlyList<string> urls, Action<ILoggingBuilder>? logging = null, TimeProvider? time = null,
        Action<WebApplication>? mapPages = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate().ToList();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", problems));
        }

        time ??= TimeProvider.System;
        var (store, dataSource) = await OpenStoreAsync(options, time, cancellationToken);
        try
        {
            if (options.GlobalWebhookUrl is not null || options.GlobalWebhookFailoverUrl is not null)
            {
                await new GlobalWebhookSettings(store).SetAsync(new GlobalWebhooks(options.GlobalWebhookUrl, options.GlobalWebhookFailoverUrl), cancellationToken);
            }

            var app = Build(options, store, dataSource, urls, logging, time, mapPages);
            await app.StartAsync(cancellationToken);
            if (options.PublicBaseUrl.Length == 0)
            {
                // Links (recordings) name this process as it is reached: its first address, with the port it bound.
                options.PublicBaseUrl = app.Urls.First().TrimEnd('/');
            }

            return app;
        }
        catch
        {
            await store.DisposeAsync();
            if (dataSource is not null)
            {
                await dataSource.DisposeAsync();
            }

            throw;
        }
    }

    private static async Task<(IWorkStore Store, NpgsqlDataSource? DataSource)> OpenStoreAsync(PlatformOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        if (options.PostgresConnectionString is { } connectionString)
        {
            var dataSource = NpgsqlDataSource.Create(connectionString);
            try
            {
                var heartbeat = options.TakeoverAfter / 10 < TimeSpan.FromSeconds(1) ? options.TakeoverAfter / 10 : TimeSpan.FromSeconds(1);
                return (await PostgresWorkStore.OpenAsync(dataSource, new PostgresWorkStoreOptions { TakeoverAfter = options.TakeoverAfter, HeartbeatInterval = heartbeat }, time, cancellationToken), dataSource);
            }
            catch
            {
                await dataSource.DisposeAsync();
                throw;
            }
        }

        var store = await WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = Path.Combine(options.DataDirectory, DatabaseFile) }, time, cancellationToken);
        return (store, null);
    }

    private static WebApplication Build(
        PlatformOptions options, IWorkStore store, NpgsqlDataSource? dataSource, IReadOnlyList<string> urls, Action<ILoggingBuilder>? logging, TimeProvider time,
        Action<WebApplication>? mapPages)
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
        services.AddSingleton(store);
        services.AddSingleton(sp => new WebhookOutbox(store, new DeliveryOptions { Schedule = options.RetrySchedule, AttemptLogLimit = options.AttemptLogLimit }, time));
        services.AddSingleton<IWebhookSender>(sp => new HttpWebhookSender(
            new HttpWebhookSenderOptions { Timeout = options.AttemptTimeout, AllowPrivateNetworks = !options.BlockPrivateTargets }, time, sp.GetService<IMeterFactory>()));
        services.AddSingleton<IWebhookSignerResolver>(new WebhookSigningKeys(options.SigningKey!));
        services.AddSingleton<EventPublisher>();
        services.AddSingleton<LifecycleSteps>();
        services.AddSingleton<ILifecycleStepHandler, MessageLifecycle>();
        services.AddSingleton<CallLifecycle>();
        services.AddSingleton<ILifecycleStepHandler>(sp => sp.GetRequiredService<CallLifecycle>());
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
            services.AddSingleton<DeliveryDispatcher>();
            services.AddHostedService(sp => sp.GetRequiredService<DeliveryDispatcher>());
            services.AddHostedService<LifecycleRunner>();
            services.AddSingleton<PlatformRetention>();
            services.AddHostedService(sp => sp.GetRequiredService<PlatformRetention>());
        }

        services.AddHealthChecks().AddCheck<PlatformHealthCheck>("platform");
        services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService("switchboard")).WithMetrics(metrics => metrics
            .AddMeter(DeliveryMeter.Name, PlatformMetrics.MeterName)
            .AddPrometheusExporter());
        services.AddSingleton<PlatformMetrics>();
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, PlatformJson.Wire));

        var app = builder.Build();
        // After the hosted services (dispatcher, lifecycle runner) have stopped: the store goes last, and with it the
        // SQLite file lock, so a restarted process can open the folder at once.
        var owned = new StoreOwnership(store, dataSource);
        app.Lifetime.ApplicationStopped.Register(() => owned.DisposeAsync().AsTask().GetAwaiter().GetResult());
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
        return app;
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

/// <summary>Disposes the store (and its data source) when the application stops.</summary>
internal sealed class StoreOwnership(IWorkStore store, NpgsqlDataSource? dataSource) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        await store.DisposeAsync();
        if (dataSource is not null)
        {
            await dataSource.DisposeAsync();
        }
    }
}
