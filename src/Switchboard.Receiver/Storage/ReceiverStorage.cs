using Microsoft.Extensions.DependencyInjection;
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
/// The receiver's view of the host's work store (registered with <c>AddWorkStore</c>; by default a SQLite file in
/// <see cref="TelnyxWebhookOptions.DataDirectory"/>, see <see cref="SqliteInbox"/>), and the small event-ordering table beside
/// its queues. The store is opened when the host starts, before the receiver's services.
/// </summary>
internal sealed class ReceiverStorage(IServiceProvider services)
{
    /// <summary>The ordering table's migrations, run by the store's opener.</summary>
    public static readonly string[] OrderingMigrations = [OrderingSql.CreateTable];

    /// <summary>The component name of <see cref="OrderingMigrations"/>.</summary>
    public const string OrderingComponent = "receiver-ordering";

    private IWorkStore? _store;

    /// <summary>The store; before the host has started, an <see cref="InvalidOperationException"/> saying so.</summary>
    public ValueTask<IWorkStore> GetStoreAsync(CancellationToken cancellationToken = default) =>
        new(_store ??= services.GetRequiredService<IWorkStore>());

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
