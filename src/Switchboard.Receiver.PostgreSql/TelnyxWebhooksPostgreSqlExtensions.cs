using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;
using Switchboard.DurableWork;
using Switchboard.Receiver;

// Beside AddTelnyxWebhooks, so that no extra using is needed.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>PostgreSQL for the Telnyx webhook receiver.</summary>
public static class TelnyxWebhooksPostgreSqlExtensions
{
    /// <summary>
    /// Keeps the inbox in PostgreSQL instead of a SQLite file, so several receiver instances share one database: its unique
    /// key decides duplicates across them, and when one instance stops, the others take over its events (see
    /// <see cref="PostgresWorkStoreOptions.TakeoverAfter"/>). The host's work store becomes this database
    /// (<c>AddWorkStore(b =&gt; b.UseNpgsql(connectionString, configure))</c>), opened and migrated when the host starts: a
    /// database that cannot be reached then stops the start.
    /// </summary>
    /// <param name="connectionString">An Npgsql connection string, e.g. <c>builder.Configuration.GetConnectionString("telnyx")</c>.</param>
    /// <param name="configure">Heartbeat and takeover settings; the defaults are 1 s and 10 s.</param>
    public static TelnyxWebhooksBuilder UsePostgreSql(this TelnyxWebhooksBuilder builder, string connectionString, Action<PostgresWorkStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        builder.Services.AddWorkStore(store => store.UseNpgsql(connectionString, configure ?? (_ => { })));
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TelnyxWebhookOptions>>(new ConnectionStringCheck(connectionString)));
        return builder;
    }

    /// <summary>A connection string Npgsql cannot read is listed with the receiver's option problems at start.</summary>
    private sealed class ConnectionStringCheck(string connectionString) : IValidateOptions<TelnyxWebhookOptions>
    {
        public ValidateOptionsResult Validate(string? name, TelnyxWebhookOptions options)
        {
            try
            {
                _ = new NpgsqlConnectionStringBuilder(connectionString);
                return ValidateOptionsResult.Success;
            }
            catch (ArgumentException ex)
            {
                return ValidateOptionsResult.Fail($"UsePostgreSql: {ex.Message}");
            }
        }
    }
}
