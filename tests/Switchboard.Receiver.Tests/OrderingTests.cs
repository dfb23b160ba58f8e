using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.DurableWork;
using Switchboard.Events;
using Switchboard.Receiver.Storage;
using Switchboard.Receiver.Tests.Support;

namespace Switchboard.Receiver.Tests;

public sealed class OrderingTests
{
    private static WebhookEvent Event(string type, string id, DateTimeOffset at, string messageId = "m-1")
    {
        var envelope = TestSender.Body(type, id, at, messageId);
        Assert.True(WebhookEnvelope.TryParse(envelope, out var parsed, out _));
        return parsed.Data;
    }

    internal static async Task AssertOrderingAsync(IEventOrdering ordering)
    {
        var t0 = new DateTimeOffset(2025, 10, 24, 18, 10, 2, TimeSpan.Zero);
        var sent = Event(EventTypes.MessageSent, "o-sent", t0);
        var finalized = Event(EventTypes.MessageFinalized, "o-final", t0.AddSeconds(3));
        var deliveredSameInstant = Event(EventTypes.MessageDelivered, "o-delivered", t0.AddSeconds(3));

        Assert.True(await ordering.TryAdvanceAsync(finalized));
        Assert.False(await ordering.TryAdvanceAsync(sent));
        Assert.False(await ordering.TryAdvanceAsync(deliveredSameInstant)); // same occurred_at, earlier lifecycle stage
        Assert.True(await ordering.TryAdvanceAsync(finalized)); // a retry of the applied event gets the same answer
        Assert.True(await ordering.TryAdvanceAsync(Event(EventTypes.MessageSent, "o-other", t0, "m-2"))); // another message
        Assert.True(await ordering.TryAdvanceAsync(WebhookEvent.Create("fax.received", "o-nokey", t0, new MessagePayload()))); // no resource: nothing to order
    }

    [Fact]
    public async Task A_late_older_event_does_not_advance_the_resource_on_sqlite()
    {
        using var sender = new TestSender();
        await using var app = await ReceiverApp.StartAsync(o =>
        {
            o.PublicKeys.Add(sender.PublicKey);
            o.DataDirectory = TempFolder.Create();
        });

        await AssertOrderingAsync(app.App.Services.GetRequiredService<IEventOrdering>());
    }

    private static readonly DateTimeOffset LegacyFinalizedAt = new(2025, 10, 24, 18, 10, 5, TimeSpan.Zero);

    /// <summary>Rows the ordering table of the release before the document set held (one with an event id to escape).</summary>
    internal static readonly string LegacyRows =
        "INSERT INTO receiver_event_order (resource, occurred_at, lifecycle_rank, event_id) VALUES " +
        $"('message:m-1', {LegacyFinalizedAt.ToUnixTimeMilliseconds()}, 4, 'o-final'), ('call:c-1', 1000, 2, 'id \\ with \"quotes\"')";

    /// <summary>The store of the release before the document set: its schema and the receiver's first ordering migration only.</summary>
    internal static Task MigrateAsBeforeDocumentsAsync(IWorkStore store) =>
        store.MigrateAsync(ReceiverStorage.OrderingComponent, ReceiverStorage.OrderingMigrations[..1]);

    /// <summary>After the upgrade, the ordering goes on from the rows of <see cref="LegacyRows"/>, now documents, and the table is gone.</summary>
    internal static async Task AssertLegacyRowsAdoptedAsync(IServiceProvider services)
    {
        var ordering = services.GetRequiredService<IEventOrdering>();
        Assert.False(await ordering.TryAdvanceAsync(Event(EventTypes.MessageSent, "o-sent", LegacyFinalizedAt.AddSeconds(-3))));
        Assert.True(await ordering.TryAdvanceAsync(Event(EventTypes.MessageFinalized, "o-final", LegacyFinalizedAt))); // the recorded event itself
        var store = services.GetRequiredService<IWorkStore>();
        var call = await store.ReadAsync(r => r.GetDocumentAsync(OrderPosition.Kind, "call:c-1"));
        Assert.Equal(new OrderPosition(1000, 2, "id \\ with \"quotes\""), OrderPosition.FromJson(call!.Body));
        await Assert.ThrowsAnyAsync<Exception>(() => store.ReadAsync(r => r.QueryAsync("SELECT count(*) FROM receiver_event_order", row => row.GetInt64(0))));
    }

    [Fact]
    public async Task Ordering_rows_of_the_release_before_documents_carry_over_on_sqlite()
    {
        var data = TempFolder.Create();
        var path = Path.Combine(data, "telnyx-webhooks.db");
        await using (var before = await WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = path }))
        {
            await MigrateAsBeforeDocumentsAsync(before);
        }

        await using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var insert = connection.CreateCommand();
            insert.CommandText = LegacyRows;
            await insert.ExecuteNonQueryAsync();
        }

        using var sender = new TestSender();
        await using var app = await ReceiverApp.StartAsync(o =>
        {
            o.PublicKeys.Add(sender.PublicKey);
            o.DataDirectory = data;
        });

        await AssertLegacyRowsAdoptedAsync(app.App.Services);
    }

    [Theory]
    [InlineData("message.sent", 1)]
    [InlineData("message.finalized", 4)]
    [InlineData("call.hangup", 4)]
    [InlineData("call.initiated", 1)]
    [InlineData("something.else", 0)]
    public void Lifecycle_ranks_order_stages(string type, int rank) => Assert.Equal(rank, ResourceKeys.LifecycleRank(type));

    [Fact]
    public void Resource_keys_use_the_message_id_or_the_call_session()
    {
        Assert.Equal("message:m-9", ResourceKeys.For(Event(EventTypes.MessageSent, "x", DateTimeOffset.UnixEpoch, "m-9")));
        var call = WebhookEvent.Create(EventTypes.CallAnswered, "c", DateTimeOffset.UnixEpoch, new CallAnsweredPayload { CallControlId = "cc", CallSessionId = "cs" });
        Assert.Equal("call:cs", ResourceKeys.For(call));
    }
}
