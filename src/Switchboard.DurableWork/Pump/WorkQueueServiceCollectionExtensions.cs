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
#pragma warning disable RS0027 // The overload computing options from the container takes a required function, so the simple one keeps its optional configure.
    public static IServiceCollection AddWorkQueue<THandler>(this IServiceCollection services, string queue, Action<WorkQueueWorkerOptions>? configure = null)
#pragma warning restore RS0027
        where THandler : class, IWorkHandler
    {
        var options = new WorkQueueWorkerOptions();
        configure?.Invoke(options);
        options.Validate();
        return services.AddWorkQueue<THandler>(queue, _ => options);
    }

    /// <summary>
    /// As <see cref="AddWorkQueue{THandler}(IServiceCollection, string, Action{WorkQueueWorkerOptions}?)"/>, with the
    /// worker's options computed from the container when the host starts (from the application's own options, say).
    /// <paramref name="options"/> returning null runs no worker in this process: it only adds work, for workers elsewhere.
    /// Whether the worker runs, and what stopped it, is the <see cref="WorkQueueWorkerStatus"/> keyed by the queue's name.
    /// </summary>
    public static IServiceCollection AddWorkQueue<THandler>(this IServiceCollection services, string queue, Func<IServiceProvider, WorkQueueWorkerOptions?> options)
        where THandler : class, IWorkHandler
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddWorkQueue(queue);
        if (services.Any(d => d.IsKeyedService && d.ServiceType == typeof(WorkQueueWorkerStatus) && Equals(d.ServiceKey, queue)))
        {
            throw new InvalidOperationException($"queue '{queue}' has a worker registered already; one worker per queue works it in a process");
        }

        var status = new WorkQueueWorkerStatus();
        services.AddKeyedSingleton(queue, status);
        services.AddSingleton<IHostedService>(provider => new HostedWorkQueueWorker<THandler>(provider, queue, options, status));
        return services;
    }
}

/// <summary>The worker of <see cref="WorkQueueServiceCollectionExtensions.AddWorkQueue{THandler}(IServiceCollection, string, Func{IServiceProvider, WorkQueueWorkerOptions?})"/>: built when the host starts, so the store is open by then.</summary>
internal sealed class HostedWorkQueueWorker<THandler>(IServiceProvider services, string queue, Func<IServiceProvider, WorkQueueWorkerOptions?> configure, WorkQueueWorkerStatus status) : BackgroundService
    where THandler : class, IWorkHandler
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (configure(services) is not { } options)
        {
            return Task.CompletedTask;
        }

        var worker = new WorkQueueWorker(
            services.GetRequiredKeyedService<WorkQueue>(queue),
            ActivatorUtilities.GetServiceOrCreateInstance<THandler>(services),
            options,
            services.GetService<TimeProvider>(),
            services.GetService<ILoggerFactory>()?.CreateLogger<WorkQueueWorker>());
        return status.Running(worker.RunAsync(stoppingToken));
    }
}

/// <summary>
/// Whether the worker that <see cref="WorkQueueServiceCollectionExtensions.AddWorkQueue{THandler}(IServiceCollection, string, Func{IServiceProvider, WorkQueueWorkerOptions?})"/>
/// registered runs in this process, and what stopped it: for health checks. Take it from the container keyed by the queue's name.
/// </summary>
public sealed class WorkQueueWorkerStatus
{
    private Task? _run;

    /// <summary>True while the worker runs (from the host's start to its stop); false in a process that runs none.</summary>
    public bool IsRunning => Volatile.Read(ref _run) is { IsCompleted: false };

    /// <summary>True when the worker ran and has stopped (a failure it could not survive, or the host stopping).</summary>
    public bool HasStopped => Volatile.Read(ref _run) is { IsCompleted: true };

    /// <summary>What stopped the worker, when it failed; null otherwise.</summary>
    public Exception? Failure => Volatile.Read(ref _run)?.Exception is { } failure ? (failure.InnerExceptions.Count == 1 ? failure.InnerException : failure) : null;

    internal Task Running(Task run)
    {
        Volatile.Write(ref _run, run);
        return run;
    }
}

