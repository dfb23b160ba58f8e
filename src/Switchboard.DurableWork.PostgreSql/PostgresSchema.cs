using Npgsql;

namespace Switchboard.DurableWork.PostgreSql;

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
        // Leases last as long as their worker's heartbeat (no expiry): lease_worker names the worker, leased_at says since
        // when. Leases of earlier versions (which expired) have no worker: they are given back here. Ordering keys hold
        // an item behind the earlier unfinished items of its key (status 3, waiting).
        """
        ALTER TABLE work_items ADD COLUMN ordering_key text, ADD COLUMN leased_at bigint, ADD COLUMN lease_worker text;
        UPDATE work_items SET lease_owner = NULL, due_at = least(due_at, lease_expires_at) WHERE lease_owner IS NOT NULL;
        ALTER TABLE work_items DROP COLUMN lease_expires_at;
        DROP INDEX work_items_due;
        CREATE INDEX work_items_ready ON work_items (queue, due_at) WHERE status = 0 AND lease_owner IS NULL;
        CREATE INDEX work_items_ordering ON work_items (queue, ordering_key, id) WHERE ordering_key IS NOT NULL;
        CREATE INDEX work_items_lease_worker ON work_items (lease_worker) WHERE lease_owner IS NOT NULL;
        CREATE TABLE work_workers (
            id text PRIMARY KEY,
            host text NOT NULL,
            process_id integer NOT NULL,
            started_at timestamptz NOT NULL DEFAULT now(),
            heartbeat_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE work_component_schema (component text PRIMARY KEY, version integer NOT NULL);
        """,
        // The document set (WorkDocuments) and the indexes of the queries over queues (a delivery log's filters).
        DocumentSql.Schema + DocumentSql.QueryIndexes,
        // The queries' indexes become per queue (WorkStoreBuilder.AddQueryIndexes).
        DocumentSql.DropQueryIndexes,
    ];

    /// <summary>The migration (its number, counted from 1) that creates the document set; tables of an earlier platform are adopted right after it.</summary>
    private const int DocumentsVersion = 3;

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
            if (i + 1 == DocumentsVersion && await PlatformTablesExistAsync(connection, cancellationToken))
            {
                await ExecuteAsync(connection, DocumentSql.AdoptPlatformTables, cancellationToken);
            }

            await ExecuteAsync(connection, $"INSERT INTO durable_work_schema (version) VALUES ({i + 1})", cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>A component's own migrations, under an advisory lock of their own: those past its recorded version run, in order.</summary>
    public static async Task MigrateComponentAsync(NpgsqlDataSource dataSource, string component, IReadOnlyList<string> migrations, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockComponent = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended('work_component_schema:' || @component, 0))", connection, transaction))
        {
            lockComponent.Parameters.Add(new NpgsqlParameter<string>("component", component));
            await lockComponent.ExecuteNonQueryAsync(cancellationToken);
        }

        int version;
        await using (var read = new NpgsqlCommand("SELECT version FROM work_component_schema WHERE component = @component", connection, transaction))
        {
            read.Parameters.Add(new NpgsqlParameter<string>("component", component));
            version = await read.ExecuteScalarAsync(cancellationToken) is int v ? v : 0;
        }

        for (var i = version; i < migrations.Count; i++)
        {
            await ExecuteAsync(connection, migrations[i], cancellationToken);
        }

        if (migrations.Count > version)
        {
            await using var record = new NpgsqlCommand(
                "INSERT INTO work_component_schema (component, version) VALUES (@component, @version) " +
                "ON CONFLICT (component) DO UPDATE SET version = excluded.version", connection, transaction);
            record.Parameters.Add(new NpgsqlParameter<string>("component", component));
            record.Parameters.Add(new NpgsqlParameter<int>("version", migrations.Count));
            await record.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>An earlier platform's tables (see <see cref="DocumentSql.AdoptPlatformTables"/>), at their last schema.</summary>
    private static async Task<bool> PlatformTablesExistAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var read = new NpgsqlCommand(
            "SELECT to_regclass('platform_resources') IS NOT NULL, " +
            "(SELECT coalesce(max(version), 0) FROM work_component_schema WHERE component = 'platform')", connection);
        await using var row = await read.ExecuteReaderAsync(cancellationToken);
        await row.ReadAsync(cancellationToken);
        if (!row.GetBoolean(0))
        {
            return false;
        }

        var version = row.GetInt32(1);
        return version == DocumentSql.LastPlatformVersion ? true : throw new InvalidOperationException(DocumentSql.OldPlatformSchema(version));
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
