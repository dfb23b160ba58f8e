using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Switchboard.DurableWork;

/// <summary>Registers queues and their workers on the <see cref="IWorkStore"/> of the container.</summary>
public static class WorkQueueServiceCollectionExtensions
{
    /// <summary>
    /// Registers the client of <paramref name="queue"/>: a <see cref="WorkQueue"/> keyed by the queue's name (take it with
    /// <c>[FromKeyedServices("name")]</c> or <c>GetRequiredKeyedService&lt;WorkQueue&gt;("name")</c>), for a process that
    /// adds work for workers elsewhere. Registering it again does nothing.
    /// </summary>
    public static IServiceCollection AddWorkQueue(this IServiceCollection services, string queue)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(queue);
        services.TryAddKeyedSingleton(queue, (provider, _) => new WorkQueue(provider.GetRequiredService<IWorkStore>(), queue));
        return services;
    }

    /// <summary>
    /// Registers the client of <paramref name="queue"/> (see <see cref="AddWorkQueue(IServiceCollection, string)"/>) and a
    /// hosted <see cref="WorkQueueWorker"/> that works it with <typeparamref name="THandler"/> while the host runs: claims,
    /// hands over what the client enqueues, runs, records, retries the database's brief failures and gives back what it
    /// holds when the host stops. The handler is the container's <typeparamref name="THandler"/> if registered, else one
    /// built with its dependencies; either way one instance serves every item. The store, the
    /// <see cref="TimeProvider"/> (the system's by default) and the logger come from the container when the host starts.
    /// One worker per queue in a process: registering a second throws <see cref="InvalidOperationException"/>.
    /// </summary>
    public static IServiceCollection AddWorkQueue<THandler>(this IServiceCollection services, string queue, Action<WorkQueueWorkerOptions>? configure = null)
        where THandler : class, IWorkHandler
    {
        services.AddWorkQueue(queue);
        if (services.Any(d => d.IsKeyedService && d.ServiceType == typeof(HostedWorkQueueWorkerMark) && Equals(d.ServiceKey, queue)))
        {
            throw new InvalidOperationException($"queue '{queue}' has a worker registered already; one worker per queue works it in a process");
        }

        services.AddKeyedSingleton<HostedWorkQueueWorkerMark>(queue);
        var options = new WorkQueueWorkerOptions();
        configure?.Invoke(options);
        options.Validate();
        services.AddSingleton<IHostedService>(provider => new HostedWorkQueueWorker<THandler>(provider, queue, options));
        return services;
    }
}

/// <summary>The worker of <see cref="WorkQueueServiceCollectionExtensions.AddWorkQueue{THandler}"/>: built when the host starts, so the store is open by then.</summary>
internal sealed class HostedWorkQueueWorker<THandler>(IServiceProvider services, string queue, WorkQueueWorkerOptions options) : BackgroundService
    where THandler : class, IWorkHandler
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var worker = new WorkQueueWorker(
            services.GetRequiredKeyedService<WorkQueue>(queue),
            ActivatorUtilities.GetServiceOrCreateInstance<THandler>(services),
            options,
            services.GetService<TimeProvider>(),
            services.GetService<ILoggerFactory>()?.CreateLogger<WorkQueueWorker>());
        return worker.RunAsync(stoppingToken);
    }
}

/// <summary>Marks, keyed by the queue's name, that a queue has its hosted worker.</summary>
internal sealed class HostedWorkQueueWorkerMark;
