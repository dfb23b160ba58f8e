using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Switchboard.DurableWork;

namespace Switchboard.Receiver.Storage;

/// <summary>The queues the receiver keeps in its work store.</summary>
internal static class ReceiverQueues
{
    /// <summary>One item per accepted event, keyed by <c>data.id</c>: the idempotency truth and the handlers' work.</summary>
    public const string Inbox = "inbox";

    /// <summary>A log of requests (duplicates, rejections) for inspection; never claimed.</summary>
    public const string Requests = "requests";
}

/// <summary>
/// The receiver's database: the durable-work store (SQLite file or PostgreSQL) with its queues, and beside it
/// the small event-ordering table. Opened on first use and retried if opening failed (a database not up yet).
/// </summary>
internal sealed class ReceiverStorage : IAsyncDisposable
{
    private readonly TelnyxWebhookOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _opening = new(1, 1);
    private NpgsqlDataSource? _dataSource;
    private Task<IWorkStore>? _store;
    private string? _sqliteConnectionString;

    public ReceiverStorage(IOptions<TelnyxWebhookOptions> options, TimeProvider time, ILogger<ReceiverStorage> logger)
    {
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    public bool IsPostgres => _options.PostgresConnectionString is not null;

    public string SqlitePath => _options.SqlitePath;

    public ValueTask<IWorkStore> GetStoreAsync(CancellationToken cancellationToken = default)
    {
        var store = Volatile.Read(ref _store);
        return store is { IsCompletedSuccessfully: true } ? new(store.Result) : new(OpenAsync(cancellationToken));
    }

    private async Task<IWorkStore> OpenAsync(CancellationToken cancellationToken)
    {
        await _opening.WaitAsync(cancellationToken);
        try
        {
            if (_store is { IsCompletedSuccessfully: true })
            {
                return _store.Result;
            }

            IWorkStore store;
            if (_options.PostgresConnectionString is { } connectionString)
            {
                _dataSource ??= NpgsqlDataSource.Create(connectionString);
                store = await WorkStore.OpenPostgresAsync(
                    _dataSource,
                    new PostgresWorkStoreOptions { HeartbeatInterval = _options.HeartbeatInterval, TakeoverAfter = _options.TakeoverAfter, Logger = _logger },
                    _time,
                    cancellationToken);
                await using var command = _dataSource.CreateCommand(OrderingSql.CreateTable);
                try
                {
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }
                catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateTable)
                {
                    // Another instance created the table at the same moment (IF NOT EXISTS does not cover the race).
                }
            }
            else
            {
                store = await WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = _options.SqlitePath }, _time, cancellationToken);
                _sqliteConnectionString = new SqliteConnectionStringBuilder { DataSource = _options.SqlitePath, Pooling = true, DefaultTimeout = 30 }.ToString();
                await using var connection = new SqliteConnection(_sqliteConnectionString);
                await connection.OpenAsync(cancellationToken);
                await using var command = connection.CreateCommand();
                command.CommandText = OrderingSql.CreateTable;
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            _store = Task.FromResult(store);
            return store;
        }
        finally
        {
            _opening.Release();
        }
    }

    /// <summary>
    /// Records (resource → newest event) if this event is not older than the one recorded, in one statement, so
    /// concurrent callers on any instance agree. True when it advanced (or is the recorded event itself).
    /// </summary>
    public async Task<bool> TryAdvanceAsync(string resource, DateTimeOffset occurredAt, int rank, string eventId, CancellationToken cancellationToken)
    {
        await GetStoreAsync(cancellationToken);
        var occurredMs = occurredAt.ToUnixTimeMilliseconds();
        if (_dataSource is not null)
        {
            await using var command = _dataSource.CreateCommand(OrderingSql.Advance.Replace('@', '$'));
            command.Parameters.Add(new NpgsqlParameter { Value = resource });
            command.Parameters.Add(new NpgsqlParameter { Value = occurredMs });
            command.Parameters.Add(new NpgsqlParameter { Value = rank });
            command.Parameters.Add(new NpgsqlParameter { Value = eventId });
            return await command.ExecuteScalarAsync(cancellationToken) is not null;
        }

        await using var connection = new SqliteConnection(_sqliteConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var sqlite = connection.CreateCommand();
        sqlite.CommandText = OrderingSql.Advance.Replace("@1", "@r").Replace("@2", "@o").Replace("@3", "@k").Replace("@4", "@e");
        sqlite.Parameters.AddWithValue("@r", resource);
        sqlite.Parameters.AddWithValue("@o", occurredMs);
        sqlite.Parameters.AddWithValue("@k", rank);
        sqlite.Parameters.AddWithValue("@e", eventId);
        return await sqlite.ExecuteScalarAsync(cancellationToken) is not null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_store is { IsCompletedSuccessfully: true } store)
        {
            await store.Result.DisposeAsync();
        }

        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }

        _opening.Dispose();
    }
}

/// <summary>The ordering table, in SQL that SQLite and PostgreSQL both accept.</summary>
internal static class OrderingSql
{
    public const string CreateTable =
        "CREATE TABLE IF NOT EXISTS receiver_event_order (resource TEXT PRIMARY KEY, occurred_at BIGINT NOT NULL, " +
        "lifecycle_rank INTEGER NOT NULL, event_id TEXT NOT NULL)";

    /// <summary>
    /// Advances only to an event at least as new, by (occurred_at, lifecycle rank, event id); the event id breaks
    /// the last ties so the order is total, and the recorded event compares equal to itself (a retry says yes again).
    /// RETURNING yields a row only when the row was inserted or updated.
    /// </summary>
    public const string Advance =
        "INSERT INTO receiver_event_order (resource, occurred_at, lifecycle_rank, event_id) VALUES (@1, @2, @3, @4) " +
        "ON CONFLICT (resource) DO UPDATE SET occurred_at = excluded.occurred_at, lifecycle_rank = excluded.lifecycle_rank, event_id = excluded.event_id " +
        "WHERE (excluded.occurred_at, excluded.lifecycle_rank, excluded.event_id) >= " +
        "(receiver_event_order.occurred_at, receiver_event_order.lifecycle_rank, receiver_event_order.event_id) " +
        "RETURNING event_id";
}
