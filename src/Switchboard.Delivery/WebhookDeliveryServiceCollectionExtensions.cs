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
    /// Adds durable webhook delivery: the <see cref="WebhookOutbox"/> to publish to and query, the SSRF-guarded
    /// <see cref="HttpWebhookSender"/>, and, as hosted services, the dispatcher and the pruner that applies retention. They
    /// use the host's work store: the one chosen with <c>services.AddWorkStore(...)</c> (before or after this call; e.g.
    /// PostgreSQL with <c>UseNpgsql</c>, for several dispatcher processes on one database), else SQLite in
    /// <see cref="WebhookDeliveryOptions.DataFolder"/>. The options are validated when the host starts (every problem
    /// listed), and the store is opened then, before the dispatcher starts: resolve <see cref="WebhookOutbox"/> once the
    /// host has started.
    /// </summary>
    public static IServiceCollection AddWebhookDelivery(this IServiceCollection services, Action<WebhookDeliveryOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<WebhookDeliveryOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebhookDeliveryOptions>, WebhookDeliveryOptionsValidator>());
        services.AddWorkStore(store =>
        {
            // The delivery log's filters and the recent attempts, read from indexes on the deliveries' queue only.
            store.AddQueryIndexes(DeliveryOptions.DefaultQueueName);
            if (!store.HasStore)
            {
                store.UseSqlite((sp, sqlite) =>
                {
                    var options = Options(sp);
                    sqlite.DatabasePath = Path.Combine(options.DataFolder, "switchboard.db");
                    sqlite.SynchronousFull = options.SqliteSynchronousFull;
                });
            }
        });
        services.TryAddSingleton(sp => new WebhookOutbox(sp.GetRequiredService<IWorkStore>(), sp.GetRequiredKeyedService<WorkQueue>(DeliveryOptions.DefaultQueueName),
            Options(sp).Delivery, sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<IWebhookSender>(sp => new HttpWebhookSender(Options(sp).Http, sp.GetRequiredService<TimeProvider>(), sp.GetService<IMeterFactory>()));
        services.TryAddSingleton<IWebhookSignerResolver>(sp =>
        {
            var options = Options(sp);
            var keys = new WebhookSigningKeys(options.ReadSigningKey());
            options.ConfigureKeys?.Invoke(keys);
            return keys;
        });
        if (services.Any(d => d.ServiceType == typeof(WebhookDispatcherStatus)))
        {
            return services;
        }

        services.AddSingleton(sp => new WebhookDispatcherStatus { Worker = sp.GetRequiredKeyedService<WorkQueueWorkerStatus>(DeliveryOptions.DefaultQueueName) });
        services.AddSingleton(sp => new DeliveryDispatcher(sp.GetRequiredService<WebhookOutbox>(), sp.GetRequiredService<IWebhookSender>(),
            sp.GetRequiredService<IWebhookSignerResolver>(), sp.GetService<IMeterFactory>(), sp.GetService<ILogger<DeliveryDispatcher>>()));
        services.AddWorkQueue<DeliveryDispatcher>(DeliveryOptions.DefaultQueueName,
            sp => Options(sp) is { RunDispatcher: true } options ? DeliveryDispatcher.WorkerOptions(options.Delivery) : null);
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

/// <summary>
/// Beside the dispatcher (the worker of the deliveries' queue), when <see cref="WebhookDeliveryOptions.RunDispatcher"/> is
/// on: the pruner that applies retention, and the queue-depth gauge. Made at start, after the store has opened.
/// </summary>
internal sealed class DispatcherHost(IServiceProvider services, bool run) : IHostedService
{
    private WorkPruner? _pruner;
    private CancellationTokenSource? _stopDepth;
    private Task _depth = Task.CompletedTask;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!run)
        {
            return;
        }

        var outbox = services.GetRequiredService<WebhookOutbox>();
        var options = services.GetRequiredService<IOptions<WebhookDeliveryOptions>>().Value;
        _pruner = new WorkPruner(outbox.Store, options.Delivery.QueueName, options.Delivery.Retention, services.GetRequiredService<TimeProvider>(),
            services.GetService<ILogger<WorkPruner>>());
        await _pruner.StartAsync(cancellationToken);
        _stopDepth = new CancellationTokenSource();
        _depth = services.GetRequiredService<DeliveryDispatcher>().RefreshQueueDepthAsync(_stopDepth.Token);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stopDepth is not null)
        {
            await _stopDepth.CancelAsync();
            await _depth.ContinueWith(_ => { }, TaskScheduler.Default);
            _stopDepth.Dispose();
        }

        if (_pruner is not null)
        {
            await _pruner.StopAsync(cancellationToken);
            _pruner.Dispose();
        }
    }
}
