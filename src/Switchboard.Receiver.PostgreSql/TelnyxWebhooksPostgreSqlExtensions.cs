using Microsoft.Extensions.DependencyInjection.Extensions;
using Switchboard.DurableWork;
using Switchboard.Receiver;
using Switchboard.Receiver.PostgreSql;
using Switchboard.Receiver.Storage;

// Beside AddTelnyxWebhooks, so that no extra using is needed.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>PostgreSQL for the Telnyx webhook receiver.</summary>
public static class TelnyxWebhooksPostgreSqlExtensions
{
    /// <summary>
    /// Keeps the inbox in PostgreSQL instead of a SQLite file, so several receiver instances share one database: its unique
    /// key decides duplicates across them, and when one instance stops, the others take over its events (see
    /// <see cref="PostgresWorkStoreOptions.TakeoverAfter"/>). The database is opened on first use: until it is up, webhooks
    /// get 503.
    /// </summary>
    /// <param name="connectionString">An Npgsql connection string, e.g. <c>builder.Configuration.GetConnectionString("telnyx")</c>.</param>
    /// <param name="configure">Heartbeat and takeover settings; the defaults are 1 s and 10 s.</param>
    public static TelnyxWebhooksBuilder UsePostgreSql(this TelnyxWebhooksBuilder builder, string connectionString, Action<PostgresWorkStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var storeOptions = new PostgresWorkStoreOptions();
        configure?.Invoke(storeOptions);
        builder.Services.Replace(ServiceDescriptor.Singleton<IInboxStoreLocation>(new PostgresInboxLocation(connectionString, storeOptions)));
        return builder;
    }
}
