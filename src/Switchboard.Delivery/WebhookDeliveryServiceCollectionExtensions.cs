using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Switchboard.Delivery.Http;
using Switchboard.Delivery.Outbox;
using Switchboard.DurableWork;
using Switchboard.Signing;

namespace Switchboard.Delivery;

/// <summary>Everything <see cref="WebhookDeliveryServiceCollectionExtensions.AddWebhookDelivery"/> sets up, with documented defaults.</summary>
public sealed class WebhookDeliveryOptions
{
    /// <summary>The folder of the embedded SQLite store (<c>switchboard.db</c> in it). Default <c>data</c>. Unused with PostgreSQL.</summary>
    public string DataFolder { get; set; } = "data";

    /// <summary>When set, deliveries live in this PostgreSQL database (several dispatcher processes can share it) instead of SQLite.</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>SQLite syncs every commit to disk (survives power loss). Default true; see <see cref="SqliteWorkStoreOptions.SynchronousFull"/>.</summary>
    public bool SqliteSynchronousFull { get; set; } = true;

    /// <summary>The platform's default Ed25519 signing key. Required unless <see cref="SigningKeyFile"/> is set.</summary>
    public Ed25519PrivateKey? SigningKey { get; set; }

    /// <summary>A file holding the default Ed25519 signing key (base64, as <c>switchboard keys generate</c> writes it).</summary>
    public string? SigningKeyFile { get; set; }

    /// <summary>Adds named keys for targets that use another key or one of the opt-in schemes.</summary>
    public Action<WebhookSigningKeys>? ConfigureKeys { get; set; }

    /// <summary>Schedule, lease, concurrency, retention of the outbox and its dispatcher.</summary>
    public DeliveryOptions Delivery { get; set; } = new();

    /// <summary>Timeout, SSRF guard (private networks refused by default) and connection pooling of the HTTP sender.</summary>
    public HttpWebhookSenderOptions Http { get; set; } = new();

    /// <summary>Runs the dispatcher (and the pruner) in this process. Default true; false for a process that only publishes and queries.</summary>
    public bool RunDispatcher { get; set; } = true;

    internal void Validate()
    {
        if (SigningKey is null && string.IsNullOrWhiteSpace(SigningKeyFile))
        {
            throw new ArgumentException("webhook delivery needs a signing key: set SigningKey or SigningKeyFile");
        }

        if (PostgresConnectionString is null && string.IsNullOrWhiteSpace(DataFolder))
        {
            throw new ArgumentException("webhook delivery needs a DataFolder for its SQLite store, or a PostgresConnectionString");
        }

        if (PostgresConnectionString is not null)
        {
            // Throws naming the bad keyword.
            _ = new NpgsqlConnectionStringBuilder(PostgresConnectionString);
        }

        ArgumentNullException.ThrowIfNull(Delivery);
        ArgumentNullException.ThrowIfNull(Http);
        Delivery.Validate();
        Delivery.Retention.Validate();
        Http.Validate();
    }
}

public static class WebhookDeliveryServiceCollectionExtensions
{
    /// <summary>
    /// Adds durable webhook delivery: the store (SQLite in <see cref="WebhookDeliveryOptions.DataFolder"/> by
    /// default, PostgreSQL with a connection string), the <see cref="WebhookOutbox"/> to publish to and query, the
    /// SSRF-guarded <see cref="HttpWebhookSender"/>, and, as hosted services, the <see cref="DeliveryDispatcher"/>
    /// and the <see cref="WorkPruner"/> that applies retention. The options are validated here, at start-up.
    /// </summary>
    public static IServiceCollection AddWebhookDelivery(this IServiceCollection services, Action<WebhookDeliveryOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new WebhookDeliveryOptions();
        configure(options);
        options.Validate();
        var key = options.SigningKey ?? Ed25519PrivateKey.ReadFromFile(options.SigningKeyFile!);

        services.AddSingleton(options);
        if (options.PostgresConnectionString is { } connectionString)
        {
            services.AddSingleton(_ => new NpgsqlDataSourceBuilder(connectionString).Build());
            services.AddSingleton(sp => WorkStore.OpenPostgresAsync(sp.GetRequiredService<NpgsqlDataSource>(), Time(sp)).GetAwaiter().GetResult());
        }
        else
        {
            services.AddSingleton(sp => WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions
            {
                DatabasePath = Path.Combine(options.DataFolder, "switchboard.db"),
                SynchronousFull = options.SqliteSynchronousFull,
            }, Time(sp)).GetAwaiter().GetResult());
        }

        services.AddSingleton(sp => new WebhookOutbox(sp.GetRequiredService<IWorkStore>(), options.Delivery, Time(sp)));
        services.AddSingleton<IWebhookSender>(sp => new HttpWebhookSender(options.Http, Time(sp), sp.GetService<IMeterFactory>()));
        services.AddSingleton<IWebhookSignerResolver>(_ =>
        {
            var keys = new WebhookSigningKeys(key);
            options.ConfigureKeys?.Invoke(keys);
            return keys;
        });
        if (options.RunDispatcher)
        {
            services.AddHostedService(sp => new DeliveryDispatcher(
                sp.GetRequiredService<WebhookOutbox>(),
                sp.GetRequiredService<IWebhookSender>(),
                sp.GetRequiredService<IWebhookSignerResolver>(),
                sp.GetService<IMeterFactory>(),
                sp.GetService<ILogger<DeliveryDispatcher>>()));
            services.AddHostedService(sp => new WorkPruner(
                sp.GetRequiredService<IWorkStore>(),
                options.Delivery.QueueName,
                options.Delivery.Retention,
                Time(sp),
                sp.GetService<ILogger<WorkPruner>>()));
        }

        return services;
    }

    private static TimeProvider Time(IServiceProvider services) => services.GetService<TimeProvider>() ?? TimeProvider.System;
}
