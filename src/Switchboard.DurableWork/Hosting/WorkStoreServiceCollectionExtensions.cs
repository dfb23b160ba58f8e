using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Switchboard.DurableWork;

// In this namespace, as ASP.NET Core's own AddX methods are, so that no extra using is needed.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the host's work store.</summary>
public static class WorkStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers the host's one work store: <c>services.AddWorkStore(b =&gt; b.UseSqlite(o =&gt; o.DatabasePath = "data/app.db"))</c>,
    /// or <c>b.UseNpgsql(dataSource)</c> with Switchboard.DurableWork.PostgreSql. The store is built in the container with the
    /// host's <see cref="TimeProvider"/> and logger factory, and opened once when the host starts, before every other hosted
    /// service: for SQLite the one-process file lock, then the pass over work that a stopped process left leased, then the
    /// migrations (the store's and those added with <see cref="WorkStoreBuilder.AddMigrations"/>). Resolve
    /// <see cref="IWorkStore"/> once the host has started; it is disposed with the container. Calling this again changes
    /// the same registration (the last store chosen is used).
    /// </summary>
    public static IServiceCollection AddWorkStore(this IServiceCollection services, Action<WorkStoreBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        if (services.FirstOrDefault(s => s.ServiceType == typeof(WorkStoreBuilder))?.ImplementationInstance is not WorkStoreBuilder builder)
        {
            builder = new WorkStoreBuilder(services);
            services.AddSingleton(builder);
            services.TryAddSingleton(TimeProvider.System);
            services.AddSingleton(sp => sp.GetRequiredService<WorkStoreBuilder>().Build(sp));
            services.AddSingleton(sp => sp.GetRequiredService<WorkStoreHost>().Store);
            // First in the list as well, so that among the services opening in StartingAsync this one comes first.
            services.Insert(0, ServiceDescriptor.Singleton<IHostedService, WorkStoreOpener>());
        }

        configure(builder);
        return services;
    }
}

/// <summary>Opens the registered work store ahead of the host's start.</summary>
public static class WorkStoreServiceProviderExtensions
{
    /// <summary>
    /// Opens the store registered with <see cref="WorkStoreServiceCollectionExtensions.AddWorkStore"/> now, exactly as the
    /// host's start would (it then finds it open), for a host that resolves services needing the store before it starts:
    /// e.g. endpoints that take them when they are mapped. A failure (<see cref="WorkStoreInUseException"/>, ...) is thrown
    /// here; the store is still disposed with the container.
    /// </summary>
    public static Task OpenWorkStoreAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.GetRequiredService<WorkStoreHost>().OpenAsync(cancellationToken);
    }
}

