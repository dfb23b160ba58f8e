using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Switchboard.DurableWork;

/// <summary>PostgreSQL for <c>services.AddWorkStore(...)</c>.</summary>
public static class WorkStoreBuilderNpgsqlExtensions
{
    /// <summary>The shared store on PostgreSQL through <paramref name="dataSource"/>, with the default heartbeat (1 s) and takeover (10 s).</summary>
    public static WorkStoreBuilder UseNpgsql(this WorkStoreBuilder builder, NpgsqlDataSource dataSource) => builder.UseNpgsql(dataSource, _ => { });

    /// <summary>The shared store on PostgreSQL through a data source built from <paramref name="connectionString"/>, with the default heartbeat and takeover.</summary>
    public static WorkStoreBuilder UseNpgsql(this WorkStoreBuilder builder, string connectionString) => builder.UseNpgsql(connectionString, _ => { });

    /// <summary>
    /// The shared store on PostgreSQL (see <see cref="PostgresWorkStore.OpenAsync"/>), opened through
    /// <paramref name="dataSource"/>, which stays the caller's (the store does not dispose it). Replaces a store chosen before.
    /// </summary>
    /// <param name="configure">Heartbeat and takeover settings; the defaults are 1 s and 10 s.</param>
    public static WorkStoreBuilder UseNpgsql(this WorkStoreBuilder builder, NpgsqlDataSource dataSource, Action<PostgresWorkStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(configure);
        return builder.UseNpgsql(_ => dataSource, configure);
    }

    /// <summary>
    /// The shared store on PostgreSQL, with a data source built from <paramref name="connectionString"/> in the container
    /// (with the host's logger factory, as Npgsql's own <c>AddNpgsqlDataSource</c> does) and disposed with it, after the store.
    /// </summary>
    /// <param name="connectionString">An Npgsql connection string, e.g. <c>builder.Configuration.GetConnectionString("work")</c>.</param>
    /// <param name="configure">Heartbeat and takeover settings; the defaults are 1 s and 10 s.</param>
    public static WorkStoreBuilder UseNpgsql(this WorkStoreBuilder builder, string connectionString, Action<PostgresWorkStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddKeyedSingleton(typeof(WorkStoreBuilder), (services, _) => new NpgsqlDataSourceBuilder(connectionString)
            .UseLoggerFactory(services.GetService<ILoggerFactory>())
            .Build());
        return builder.UseNpgsql(services => services.GetRequiredKeyedService<NpgsqlDataSource>(typeof(WorkStoreBuilder)), configure);
    }

    private static WorkStoreBuilder UseNpgsql(this WorkStoreBuilder builder, Func<IServiceProvider, NpgsqlDataSource> dataSource, Action<PostgresWorkStoreOptions> configure) =>
        builder.UseStore(services =>
        {
            // Resolved here, before the store is built: the container disposes in reverse order, so the data source
            // outlives the store, whose disposal still tells the database this worker has stopped.
            var source = dataSource(services);
            var options = new PostgresWorkStoreOptions();
            configure(options);
            options.Logger ??= services.GetService<ILoggerFactory>()?.CreateLogger(typeof(PostgresWorkStore).FullName!);
            var time = services.GetRequiredService<TimeProvider>();
            return cancellationToken => PostgresWorkStore.OpenAsync(source, options, time, cancellationToken);
        });
}
