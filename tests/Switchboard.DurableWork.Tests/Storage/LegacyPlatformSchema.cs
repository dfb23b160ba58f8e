namespace Switchboard.DurableWork.Tests.Storage;

/// <summary>
/// The platform's own tables as the release before the document set created them (its migrations, verbatim): a database
/// that release wrote, for the test that the store adopts it.
/// </summary>
internal static class LegacyPlatformSchema
{
    private const string FinishTimes =
        """
        ALTER TABLE platform_resources ADD COLUMN finished_at BIGINT;
        CREATE INDEX platform_resources_finished ON platform_resources (kind, finished_at) WHERE finished_at IS NOT NULL;
        UPDATE platform_resources SET finished_at = updated_at
        WHERE kind = 'recording'
            OR (kind = 'message' AND (body LIKE '%"completed_at":"%' OR body LIKE '%"direction":"inbound"%'))
            OR (kind = 'call' AND body LIKE '%"state":"hangup"%');
        """;

    public static readonly IReadOnlyList<string> Migrations =
    [
        // One table for every resource: its API shape as JSON, with the few columns lookups and filters need.
        // lookup: unique per kind (a phone number); owner: the resource it hangs off (a number's messaging profile);
        // connection_id: a number's or a call's Call Control application; name: what lists filter on (a profile's name).
        """
        CREATE TABLE platform_resources (
            kind TEXT NOT NULL,
            id TEXT NOT NULL,
            lookup TEXT,
            owner TEXT,
            connection_id TEXT,
            name TEXT,
            body TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            PRIMARY KEY (kind, id)
        );
        CREATE UNIQUE INDEX platform_resources_lookup ON platform_resources (kind, lookup) WHERE lookup IS NOT NULL;
        CREATE INDEX platform_resources_owner ON platform_resources (kind, owner) WHERE owner IS NOT NULL;
        CREATE INDEX platform_resources_connection ON platform_resources (kind, connection_id) WHERE connection_id IS NOT NULL;
        CREATE INDEX platform_resources_created ON platform_resources (kind, created_at, id);
        CREATE TABLE platform_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
        """,
        // The delivery log's filters (the dashboard and GET /v2/webhook_deliveries): status and event type (the item's
        // tag), newest first, read from an index instead of every delivery (100,000 deliveries: 100 ms to a few ms,
        // docs/benchmarks.md); the charts read the last hour's requests by their finish time. On the work store's tables,
        // but only in the platform's database: a receiver's inbox does not pay for these on its writes.
        """
        CREATE INDEX platform_work_items_status ON work_items (queue, status, created_at);
        CREATE INDEX platform_work_items_tag ON work_items (queue, tag, created_at);
        CREATE INDEX platform_work_attempts_finished ON work_attempts (finished_at);
        """,
        // A call's command_ids, kept for Telnyx's 60 s idempotency window beside the call (CallCommandIds).
        """
        CREATE TABLE platform_call_commands (
            call_control_id TEXT NOT NULL,
            command_id TEXT NOT NULL,
            action TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            PRIMARY KEY (call_control_id, command_id)
        );
        """,
        FinishTimes,
        // When a recording started, for GET /v2/recordings?filter[start_time][gte|lte] (rows from before stay NULL and
        // match no start_time filter).
        """
        ALTER TABLE platform_resources ADD COLUMN started_at BIGINT;
        """,
    ];
}
