using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
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
/// Where the receiver's work store lives: a SQLite file in <see cref="TelnyxWebhookOptions.DataDirectory"/> by default, or
/// what an optional package registers instead (<c>UsePostgreSql</c> in Switchboard.Receiver.PostgreSql).
/// </summary>
internal interface IInboxStoreLocation
{
    /// <summary>True: opened when the host starts, so a place that cannot hold it stops the start. False: on first use (a server not up yet is no mistake).</summary>
    bool OpensAtStart { get; }

    /// <summary>Where it is, for messages.</summary>
    string Describe(TelnyxWebhookOptions options);

    /// <summary>What is wrong with the options for this location; nothing when they are usable.</summary>
    IEnumerable<string> Validate(TelnyxWebhookOptions options);

    Task<IWorkStore> OpenAsync(TelnyxWebhookOptions options, TimeProvider time, ILogger logger, CancellationToken cancellationToken);
}

/// <summary>The default: one SQLite file, one receiver process per file.</summary>
internal sealed class SqliteInboxLocation : IInboxStoreLocation
{
    public bool OpensAtStart => true;

    public string Describe(TelnyxWebhookOptions options) => options.SqlitePath;

    public IEnumerable<string> Validate(TelnyxWebhookOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            yield return $"{nameof(TelnyxWebhookOptions.DataDirectory)} is required for the SQLite inbox (or use PostgreSQL: UsePostgreSql in Switchboard.Receiver.PostgreSql)";
        }
    }

    public Task<IWorkStore> OpenAsync(TelnyxWebhookOptions options, TimeProvider time, ILogger logger, CancellationToken cancellationToken) =>
        WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = options.SqlitePath }, time, cancellationToken);
}

/// <summary>
/// The receiver's database: the durable-work store with its queues, and beside it the small event-ordering table.
/// Opened on first use and retried if opening failed (a database not up yet).
/// </summary>
internal sealed class ReceiverStorage : IAsyncDisposable
{
    private static readonly string[] OrderingMigrations = [OrderingSql.CreateTable];

    private readonly TelnyxWebhookOptions _options;
    private readonly IInboxStoreLocation _location;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _opening = new(1, 1);
    private Task<IWorkStore>? _store;

    public ReceiverStorage(IOptions<TelnyxWebhookOptions> options, IInboxStoreLocation location, TimeProvider time, ILogger<ReceiverStorage> logger)
    {
        _options = options.Value;
        _location = location;
        _time = time;
        _logger = logger;
    }

    public bool OpensAtStart => _location.OpensAtStart;

    public string Where => _location.Describe(_options);

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

            var store = await _location.OpenAsync(_options, _time, _logger, cancellationToken);
            try
            {
                await store.MigrateAsync("receiver-ordering", OrderingMigrations, cancellationToken);
            }
            catch
            {
                await store.DisposeAsync();
                throw;
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
        var store = await GetStoreAsync(cancellationToken);
        var occurredMs = occurredAt.ToUnixTimeMilliseconds();
        return await store.WriteAsync(async transaction =>
            (await transaction.QueryAsync(OrderingSql.Advance, reader => reader.GetString(0),
                new SqlArg("@resource", resource), new SqlArg("@occurred", occurredMs), new SqlArg("@rank", rank), new SqlArg("@event", eventId))).Count > 0,
            cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_store is { IsCompletedSuccessfully: true } store)
        {
            await store.Result.DisposeAsync();
        }

        if (_location is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
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
        "INSERT INTO receiver_event_order (resource, occurred_at, lifecycle_rank, event_id) VALUES (@resource, @occurred, @rank, @event) " +
        "ON CONFLICT (resource) DO UPDATE SET occurred_at = excluded.occurred_at, lifecycle_rank = excluded.lifecycle_rank, event_id = excluded.event_id " +
        "WHERE (excluded.occurred_at, excluded.lifecycle_rank, excluded.event_id) >= " +
        "(receiver_event_order.occurred_at, receiver_event_order.lifecycle_rank, receiver_event_order.event_id) " +
        "RETURNING event_id";
}
