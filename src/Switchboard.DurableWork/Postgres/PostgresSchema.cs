using Npgsql;

namespace Switchboard.DurableWork.Postgres;

/// <summary>
/// The PostgreSQL schema, created and migrated when a store opens. An advisory lock makes workers that start
/// together take turns, so each migration runs once.
/// </summary>
internal static class PostgresSchema
{
    private const long MigrationLockId = 0x5357_4457_4f52_4b31; // "SWDWORK1"

    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE work_items (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            queue text NOT NULL,
            key text NOT NULL,
            tag text,
            payload text NOT NULL,
            context text,
            status smallint NOT NULL,
            attempts integer NOT NULL,
            max_attempts integer NOT NULL,
            due_at bigint NOT NULL,
            lease_owner text,
            lease_expires_at bigint,
            created_at bigint NOT NULL,
            updated_at bigint NOT NULL,
            finished_at bigint,
            CONSTRAINT work_items_queue_key UNIQUE (queue, key)
        );
        CREATE INDEX work_items_due ON work_items (queue, due_at) WHERE status = 0;
        CREATE INDEX work_items_finished ON work_items (queue, finished_at) WHERE finished_at IS NOT NULL;
        CREATE INDEX work_items_created ON work_items (queue, created_at);
        CREATE TABLE work_attempts (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            item_id bigint NOT NULL,
            attempt integer NOT NULL,
            started_at bigint NOT NULL,
            finished_at bigint NOT NULL,
            succeeded boolean NOT NULL,
            detail text NOT NULL
        );
        CREATE INDEX work_attempts_item ON work_attempts (item_id);
        """,
    ];

    public static async Task MigrateAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock({MigrationLockId})", cancellationToken);
        await ExecuteAsync(connection, "CREATE TABLE IF NOT EXISTS durable_work_schema (version integer NOT NULL)", cancellationToken);
        await using var read = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM durable_work_schema", connection);
        var version = (int)(await read.ExecuteScalarAsync(cancellationToken))!;
        for (var i = version; i < Migrations.Length; i++)
        {
            await ExecuteAsync(connection, Migrations[i], cancellationToken);
            await ExecuteAsync(connection, $"INSERT INTO durable_work_schema (version) VALUES ({i + 1})", cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
