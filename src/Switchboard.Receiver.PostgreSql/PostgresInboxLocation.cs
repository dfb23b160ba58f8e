using Microsoft.Extensions.Logging;
using Npgsql;
using Switchboard.DurableWork;
using Switchboard.Receiver.Storage;

namespace Switchboard.Receiver.PostgreSql;

/// <summary>The inbox on PostgreSQL: several receiver instances share one database. Opened on first use.</summary>
internal sealed class PostgresInboxLocation(string connectionString, PostgresWorkStoreOptions storeOptions) : IInboxStoreLocation, IAsyncDisposable
{
    private NpgsqlDataSource? _dataSource;

    public bool OpensAtStart => false;

    public string Describe(TelnyxWebhookOptions options) => $"PostgreSQL database {new NpgsqlConnectionStringBuilder(connectionString).Database}";

    public IEnumerable<string> Validate(TelnyxWebhookOptions options)
    {
        string? problem = null;
        try
        {
            _ = new NpgsqlConnectionStringBuilder(connectionString);
            storeOptions.Validate();
        }
        catch (ArgumentException ex)
        {
            problem = $"UsePostgreSql: {ex.Message}";
        }

        return problem is null ? [] : [problem];
    }

    public Task<IWorkStore> OpenAsync(TelnyxWebhookOptions options, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        _dataSource ??= NpgsqlDataSource.Create(connectionString);
        storeOptions.Logger ??= logger;
        return PostgresWorkStore.OpenAsync(_dataSource, storeOptions, time, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }
    }
}
