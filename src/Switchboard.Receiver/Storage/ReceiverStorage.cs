using System.Text.Json;
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
/// <see cref="TelnyxWebhookOptions.DataDirectory"/>, see <see cref="SqliteInbox"/>), and the event ordering kept in its
/// document set. The store is opened when the host starts, before the receiver's services.
/// </summary>
internal sealed class ReceiverStorage(IServiceProvider services)
{
    /// <summary>
    /// The ordering's migrations, run by the store's opener: the table of the releases before the document set, then its
    /// rows copied into documents and the table dropped.
    /// </summary>
    public static readonly string[] OrderingMigrations = [OrderingSql.CreateTable, OrderingSql.AdoptTable];

    /// <summary>The component name of <see cref="OrderingMigrations"/>.</summary>
    public const string OrderingComponent = "receiver-ordering";

    /// <summary>
    /// How many times an advance reads again after another writer changed the resource's document first. Each conflict is
    /// another caller's advance that committed (and returned), so only that many callers at once on one resource get here.
    /// </summary>
    private const int MaxConflicts = 64;

    private IWorkStore? _store;

    /// <summary>The store; before the host has started, an <see cref="InvalidOperationException"/> saying so.</summary>
    public ValueTask<IWorkStore> GetStoreAsync(CancellationToken cancellationToken = default) =>
        new(_store ??= services.GetRequiredService<IWorkStore>());

    /// <summary>
    /// Records (resource → newest event) if this event is not older than the one recorded: the resource's document is
    /// read on a snapshot, compared here, and written under a version check, so concurrent callers on any instance agree
    /// (one that finds the document changed since its read reads and compares again). True when it advanced (or is
    /// the recorded event itself).
    /// </summary>
    public async Task<bool> TryAdvanceAsync(string resource, DateTimeOffset occurredAt, int rank, string eventId, CancellationToken cancellationToken)
    {
        var store = await GetStoreAsync(cancellationToken);
        var candidate = new OrderPosition(occurredAt.ToUnixTimeMilliseconds(), rank, eventId);
        for (var conflicts = 0; ; conflicts++)
        {
            var stored = await store.ReadAsync(reader => reader.GetDocumentAsync(OrderPosition.Kind, resource), cancellationToken);
            if (stored is not null && OrderPosition.FromJson(stored.Body) is { } recorded && candidate.CompareTo(recorded) is var order && order <= 0)
            {
                return order == 0;
            }

            var put = stored is null
                ? DocumentPut.Create(OrderPosition.Kind, resource, candidate.ToJson())
                : DocumentPut.Replace(stored, candidate.ToJson(), default);
            var result = await store.CommitAsync(new WorkBatch().PutDocument(put), cancellationToken);
            if (result.Outcome == WorkBatchOutcome.Committed)
            {
                return true;
            }

            if (conflicts == MaxConflicts)
            {
                throw new InvalidOperationException($"the ordering of {resource} changed {MaxConflicts} times while this event was compared with it; try again");
            }
        }
    }
}

/// <summary>
/// The newest event applied to a resource, the body of its ordering document. Events compare by (occurred_at, lifecycle
/// rank, event id): the event id breaks the last ties so the order is total, and the recorded event compares equal to
/// itself (a retry says yes again).
/// </summary>
internal sealed record OrderPosition(long OccurredAt, int Rank, string EventId) : IComparable<OrderPosition>
{
    /// <summary>The document kind, one document per resource (its id).</summary>
    public const string Kind = "receiver_event_order";

    public int CompareTo(OrderPosition? other) =>
        other is null ? 1
        : OccurredAt != other.OccurredAt ? OccurredAt.CompareTo(other.OccurredAt)
        : Rank != other.Rank ? Rank.CompareTo(other.Rank)
        : string.CompareOrdinal(EventId, other.EventId);

    public string ToJson() => JsonSerializer.Serialize(this, ReceiverJsonContext.Default.OrderPosition);

    /// <summary>Null for a body that is not one (then any event advances past it).</summary>
    public static OrderPosition? FromJson(string json) => StoredJson.TryRead(json, ReceiverJsonContext.Default.OrderPosition);
}

/// <summary>The ordering table of the releases before the document set, in SQL that SQLite and PostgreSQL both accept.</summary>
internal static class OrderingSql
{
    public const string CreateTable =
        "CREATE TABLE IF NOT EXISTS receiver_event_order (resource TEXT PRIMARY KEY, occurred_at BIGINT NOT NULL, " +
        "lifecycle_rank INTEGER NOT NULL, event_id TEXT NOT NULL)";

    /// <summary>
    /// The table's rows as <see cref="OrderPosition"/> documents (its JSON written here: the event id with its backslashes
    /// and quotes escaped; ids reached the table through the ingest's check, which refuses control characters), then the
    /// table goes.
    /// </summary>
    public const string AdoptTable =
        "INSERT INTO work_documents (kind, id, version, body, created_at, updated_at) " +
        $"SELECT '{OrderPosition.Kind}', resource, 1, " +
        "'{\"occurred_at\":' || occurred_at || ',\"rank\":' || lifecycle_rank || ',\"event_id\":\"' || " +
        "replace(replace(event_id, '\\', '\\\\'), '\"', '\\\"') || '\"}', 0, 0 FROM receiver_event_order; " +
        "DROP TABLE receiver_event_order";
}
