using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Switchboard.DurableWork;
using Switchboard.Receiver;
using Switchboard.Receiver.Handlers;
using Switchboard.Receiver.Inbox;
using Switchboard.Receiver.Ingest;
using Switchboard.Receiver.Storage;

// In this namespace, as ASP.NET Core's own AddX methods are, so that no extra using is needed.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the Telnyx webhook receiver to a service collection.</summary>
public static class TelnyxWebhooksServiceCollectionExtensions
{
    /// <summary>
    /// Adds the webhook receiver: options (validated at start), verification, the inbox and the background handler runner.
    /// Register handlers on the returned builder; map the endpoint with <c>app.MapTelnyxWebhooks()</c>.
    /// </summary>
    public static TelnyxWebhooksBuilder AddTelnyxWebhooks(this IServiceCollection services, Action<TelnyxWebhookOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var builder = services.AddTelnyxWebhooksCore();
        services.Configure(configure);
        return builder;
    }

    /// <summary>
    /// Adds the webhook receiver like <see cref="AddTelnyxWebhooks(IServiceCollection, Action{TelnyxWebhookOptions})"/>, with its
    /// options bound from <paramref name="configuration"/> (e.g. <c>builder.Configuration.GetSection("Telnyx")</c>, with keys
    /// named as the properties of <see cref="TelnyxWebhookOptions"/>: <c>PublicKeys:0</c>, <c>DataDirectory</c>, <c>Tolerance</c>
    /// as <c>00:05:00</c>, ...). They are validated at start like options set in code.
    /// </summary>
    public static TelnyxWebhooksBuilder AddTelnyxWebhooks(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var builder = services.AddTelnyxWebhooksCore();
        services.AddOptions<TelnyxWebhookOptions>().Bind(configuration);
        return builder;
    }

    private static TelnyxWebhooksBuilder AddTelnyxWebhooksCore(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        // A second call adds handlers to the same registry rather than starting another.
        if (services.FirstOrDefault(s => s.ServiceType == typeof(HandlerRegistry))?.ImplementationInstance is HandlerRegistry existing)
        {
            return new TelnyxWebhooksBuilder(services, existing);
        }

        // The host's store: SQLite in DataDirectory unless one is chosen with AddWorkStore (before or after this call)
        // or UsePostgreSql. It opens before the receiver's services start.
        services.AddWorkStore(store =>
        {
            if (!store.HasStore)
            {
                store.UseStore(SqliteInbox.Build);
            }

            store.AddMigrations(ReceiverStorage.OrderingComponent, ReceiverStorage.OrderingMigrations);
        });
        services.AddOptions<TelnyxWebhookOptions>().ValidateOnStart();
        services.TryAddSingleton<IValidateOptions<TelnyxWebhookOptions>, TelnyxWebhookOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<ReceiverMetrics>();
        services.TryAddSingleton<WebhookIngestEndpoint>();
        services.TryAddSingleton<InboxWriteFailures>();
        services.AddHostedService<UnsignedModeWarning>();
        services.TryAddSingleton<ReceiverStorage>();
        services.TryAddSingleton<IRecentEventIds, NoRecentEventIds>();
        services.TryAddSingleton<RequestLog>();
        services.TryAddSingleton<IWebhookInbox, WorkStoreInbox>();
        services.TryAddSingleton<IWebhookInboxAdmin, WebhookInboxAdmin>();
        services.TryAddSingleton<IEventOrdering, StoredEventOrdering>();
        services.TryAddSingleton<HandlerRunner>();
        services.AddWorkQueue<HandlerRunner>(ReceiverQueues.Inbox,
            sp => HandlerRunner.WorkerOptions(sp.GetRequiredService<IOptions<TelnyxWebhookOptions>>().Value));
        services.AddHostedService<InboxRetention>();
        services.AddHealthChecks().AddCheck<ReceiverHealthCheck>("telnyx-webhooks");

        var registry = new HandlerRegistry();
        services.AddSingleton(registry);
        return new TelnyxWebhooksBuilder(services, registry);
    }
}
