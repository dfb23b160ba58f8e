using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.Delivery;
using Switchboard.Delivery.Http;
using Switchboard.Delivery.Outbox;
using Switchboard.DurableWork;

// In this namespace, as ASP.NET Core's own AddX methods are, so that no extra using is needed.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds durable webhook delivery to a service collection.</summary>
public static class WebhookDeliveryServiceCollectionExtensions
{
    /// <summary>
    /// Adds durable webhook delivery: the store (SQLite in <see cref="WebhookDeliveryOptions.DataFolder"/> by default, or what
    /// <see cref="WebhookDeliveryOptions.OpenStore"/> opens), the <see cref="WebhookOutbox"/> to publish to and query, the
    /// SSRF-guarded <see cref="HttpWebhookSender"/>, and, as hosted services, the dispatcher and the pruner that applies
    /// retention. The options are validated when the host starts (every problem listed), and the store is opened then too,
    /// before the dispatcher starts: resolve <see cref="WebhookOutbox"/> once the host has started.
    /// </summary>
    public static IServiceCollection AddWebhookDelivery(this IServiceCollection services, Action<WebhookDeliveryOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<WebhookDeliveryOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebhookDeliveryOptions>, WebhookDeliveryOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DeliveryStore>();
        // The store opens first, so that the dispatcher and anything registered later find it open.
        services.AddHostedService<DeliveryStoreStartup>();
        services.TryAddSingleton(sp => sp.GetRequiredService<DeliveryStore>().Store);
        services.TryAddSingleton(sp => new WebhookOutbox(
            sp.GetRequiredService<IWorkStore>(), Options(sp).Delivery, sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<IWebhookSender>(sp => new HttpWebhookSender(Options(sp).Http, sp.GetRequiredService<TimeProvider>(), sp.GetService<IMeterFactory>()));
        services.TryAddSingleton<IWebhookSignerResolver>(sp =>
        {
            var options = Options(sp);
            var keys = new WebhookSigningKeys(options.ReadSigningKey());
            options.ConfigureKeys?.Invoke(keys);
            return keys;
        });
        services.AddHostedService(sp => new DispatcherHost(sp, Options(sp).RunDispatcher));
        return services;
    }

    private static WebhookDeliveryOptions Options(IServiceProvider services) => services.GetRequiredService<IOptions<WebhookDeliveryOptions>>().Value;
}

/// <summary>Lists every problem of the options as one start-up error.</summary>
internal sealed class WebhookDeliveryOptionsValidator : IValidateOptions<WebhookDeliveryOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhookDeliveryOptions options)
    {
        var problems = options.Problems().ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

/// <summary>The delivery store, opened when the host starts and disposed with the service provider.</summary>
internal sealed class DeliveryStore(IOptions<WebhookDeliveryOptions> options, TimeProvider time) : IAsyncDisposable
{
    private IWorkStore? _store;

    public IWorkStore Store => _store ?? throw new InvalidOperationException(
        "the webhook delivery store is opened when the host starts: resolve WebhookOutbox (or IWorkStore) after the host has started");

    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        if (_store is not null)
        {
            return;
        }

        var settings = options.Value;
        _store = settings.OpenStore is { } open
            ? await open(time, cancellationToken)
            : await WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions
            {
                DatabasePath = Path.Combine(settings.DataFolder, "switchboard.db"),
                SynchronousFull = settings.SqliteSynchronousFull,
            }, time, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }
}

internal sealed class DeliveryStoreStartup(DeliveryStore store) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => store.OpenAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>
/// Runs the dispatcher and the pruner when <see cref="WebhookDeliveryOptions.RunDispatcher"/> is on. They are made at start,
/// after the store has opened, since they need it.
/// </summary>
internal sealed class DispatcherHost(IServiceProvider services, bool run) : IHostedService
{
    private readonly List<IHostedService> _running = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!run)
        {
            return;
        }

        var outbox = services.GetRequiredService<WebhookOutbox>();
        var options = services.GetRequiredService<IOptions<WebhookDeliveryOptions>>().Value;
        _running.Add(new DeliveryDispatcher(outbox, services.GetRequiredService<IWebhookSender>(), services.GetRequiredService<IWebhookSignerResolver>(),
            services.GetService<IMeterFactory>(), services.GetService<ILogger<DeliveryDispatcher>>()));
        _running.Add(new WorkPruner(outbox.Store, options.Delivery.QueueName, options.Delivery.Retention, services.GetRequiredService<TimeProvider>(),
            services.GetService<ILogger<WorkPruner>>()));
        foreach (var service in _running)
        {
            await service.StartAsync(cancellationToken);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var service in Enumerable.Reverse(_running))
        {
            await service.StopAsync(cancellationToken);
            (service as IDisposable)?.Dispose();
        }

        _running.Clear();
    }
}
