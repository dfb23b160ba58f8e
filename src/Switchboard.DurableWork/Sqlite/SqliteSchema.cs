using Microsoft.Data.Sqlite;

namespace Switchboard.DurableWork.Sqlite;

/// <summary>The SQLite schema, created and migrated when a store opens. Each migration runs once, in order.</summary>
internal static class SqliteSchema
{
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE work_items (
            id INTEGER PRIMARY KEY,
            queue TEXT NOT NULL,
            key TEXT NOT NULL,
            tag TEXT,
            payload TEXT NOT NULL,
            context TEXT,
            status INTEGER NOT NULL,
            attempts INTEGER NOT NULL,
            max_attempts INTEGER NOT NULL,
            due_at INTEGER NOT NULL,
            lease_owner TEXT,
            lease_expires_at INTEGER,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            finished_at INTEGER,
            UNIQUE (queue, key)
        );
        CREATE INDEX work_items_due ON work_items (queue, due_at) WHERE status = 0;
        CREATE INDEX work_items_finished ON work_items (queue, finished_at) WHERE finished_at IS NOT NULL;
        CREATE INDEX work_items_created ON work_items (queue, created_at);
        CREATE TABLE work_attempts (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL,
            attempt INTEGER NOT NULL,
            started_at INTEGER NOT NULL,
            finished_at INTEGER NOT NULL,
            succeeded INTEGER NOT NULL,
            detail TEXT NOT NULL
        );
        CREATE INDEX work_attempts_item ON work_attempts (item_id);
        """,
        // Keys leave the items table's unique index for work_keys, written in key order (see SqliteKeys); ids become
        // AUTOINCREMENT, never reused, so "every item up to keys_merged_through is in work_keys" stays true after deletes.
        $"""
        CREATE TABLE work_items_new (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            queue TEXT NOT NULL,
            key TEXT NOT NULL,
            tag TEXT,
            payload TEXT NOT NULL,
            context TEXT,
            status INTEGER NOT NULL,
            attempts INTEGER NOT NULL,
            max_attempts INTEGER NOT NULL,
            due_at INTEGER NOT NULL,
            lease_owner TEXT,
            lease_expires_at INTEGER,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            finished_at INTEGER
        );
        INSERT INTO work_items_new SELECT * FROM work_items;
        DROP TABLE work_items;
        ALTER TABLE work_items_new RENAME TO work_items;
        CREATE INDEX work_items_due ON work_items (queue, due_at) WHERE status = 0;
        CREATE INDEX work_items_finished ON work_items (queue, finished_at) WHERE finished_at IS NOT NULL;
        CREATE INDEX work_items_created ON work_items (queue, created_at);
        CREATE TABLE work_keys (
            queue TEXT NOT NULL,
            key TEXT NOT NULL,
            item_id INTEGER NOT NULL,
            PRIMARY KEY (queue, key)
        ) WITHOUT ROWID;
        INSERT INTO work_keys (queue, key, item_id) SELECT queue, key, id FROM work_items;
        CREATE TABLE work_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
        INSERT INTO work_meta (name, value) SELECT '{SqliteKeys.MergedThroughName}', coalesce(max(id), 0) FROM work_items;
        """,
        // Leases last as long as their worker (no expiry): leased_at says since when. Ordering keys hold an item behind
        // the earlier unfinished items of its key (status 3, waiting). Components keep their own tables' versions here.
        """
        ALTER TABLE work_items ADD COLUMN ordering_key TEXT;
        ALTER TABLE work_items ADD COLUMN leased_at INTEGER;
        UPDATE work_items SET leased_at = updated_at WHERE lease_owner IS NOT NULL;
        ALTER TABLE work_items DROP COLUMN lease_expires_at;
        DROP INDEX work_items_due;
        CREATE INDEX work_items_ready ON work_items (queue, due_at) WHERE status = 0 AND lease_owner IS NULL;
        CREATE INDEX work_items_ordering ON work_items (queue, ordering_key, id) WHERE ordering_key IS NOT NULL;
        CREATE TABLE work_component_schema (component TEXT PRIMARY KEY, version INTEGER NOT NULL);
        """,
        // The document set (WorkDocuments) and the indexes of the queries over queues (a delivery log's filters).
        DocumentSql.Schema + DocumentSql.QueryIndexes,
        // The queries' indexes become per queue (WorkStoreBuilder.AddQueryIndexes).
        DocumentSql.DropQueryIndexes,
    ];

    /// <summary>The migration (its number, counted from 1) that creates the document set; tables of an earlier platform are adopted right after it.</summary>
    private const int DocumentsVersion = 4;

    public static void Configure(SqliteConnection connection, bool synchronousFull)
    {
        // WAL: readers never block the writer; FULL also syncs the WAL on each commit, so a commit survives
        // power loss, not just a crash of the process.
        // Pages that pruning frees go back to the file system in small steps (IWorkStore.ReclaimSpaceAsync). Takes effect
        // only on a new file, before its first table; an older file keeps reusing its free pages (docs/platform.md).
        Execute(connection, "PRAGMA auto_vacuum = INCREMENTAL;");
        Execute(connection, "PRAGMA journal_mode = WAL;");
        Execute(connection, $"PRAGMA synchronous = {(synchronousFull ? "FULL" : "NORMAL")};");
        // 16 MB of cache was slower than 4 MB (about 8% more CPU per inbox item in store-only runs): at the end of
        // every write transaction SQLite walks the page cache's hash table, which grows with the cache.
        Execute(connection, "PRAGMA cache_size = -4000;");
        // The writer never stops to checkpoint: SqliteCheckpointer does it beside it.
        Execute(connection, "PRAGMA wal_autocheckpoint = 0;");
        // Each write runs in a savepoint; its sub-journal (the pages' old contents) stays in memory instead of
        // spilling to a temporary file once it passes 64 KiB, which a batch of a few hundred items always does.
        Execute(connection, "PRAGMA temp_store = MEMORY;");
    }

    public static void Migrate(SqliteConnection connection)
    {
        Execute(connection, "BEGIN IMMEDIATE");
        try
        {
            Execute(connection, "CREATE TABLE IF NOT EXISTS durable_work_schema (version INTEGER NOT NULL)");
            using var read = connection.CreateCommand();
            read.CommandText = "SELECT coalesce(max(version), 0) FROM durable_work_schema";
            var version = (int)(long)read.ExecuteScalar()!;
            for (var i = version; i < Migrations.Length; i++)
            {
                Execute(connection, Migrations[i]);
                if (i + 1 == DocumentsVersion && PlatformTablesExist(connection))
                {
                    Execute(connection, DocumentSql.AdoptPlatformTables);
                }

                Execute(connection, $"INSERT INTO durable_work_schema (version) VALUES ({i + 1})");
            }

            Execute(connection, "COMMIT");
        }
        catch
        {
            Execute(connection, "ROLLBACK");
            throw;
        }
    }

    /// <summary>
    /// A component's own migrations, inside the writer's transaction: those past the version recorded for it run, in order.
    /// </summary>
    public static void MigrateComponent(SqliteWriter writer, string component, IReadOnlyList<string> migrations)
    {
        var read = writer.Command("SELECT version FROM work_component_schema WHERE component = @component");
        read.Set("@component", component);
        var version = read.ExecuteScalar() is long v ? (int)v : 0;
        for (var i = version; i < migrations.Count; i++)
        {
            // Not a cached prepared statement: each runs once, and may hold several statements.
            using var migrate = writer.Connection.CreateCommand();
            migrate.CommandText = migrations[i];
            migrate.ExecuteNonQuery();
        }

        if (migrations.Count > version)
        {
            var record = writer.Command(
                "INSERT INTO work_component_schema (component, version) VALUES (@component, @version) " +
                "ON CONFLICT (component) DO UPDATE SET version = excluded.version");
            record.Set("@component", component);
            record.Set("@version", migrations.Count);
            record.ExecuteNonQuery();
        }
    }

    /// <summary>An earlier platform's tables (see <see cref="DocumentSql.AdoptPlatformTables"/>), at their last schema.</summary>
    private static bool PlatformTablesExist(SqliteConnection connection)
    {
        using var read = connection.CreateCommand();
        read.CommandText =
            "SELECT (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'platform_resources'), " +
            "(SELECT coalesce(max(version), 0) FROM work_component_schema WHERE component = 'platform')";
        using var row = read.ExecuteReader();
        row.Read();
        if (row.GetInt64(0) == 0)
        {
            return false;
        }

        return row.GetInt64(1) == DocumentSql.LastPlatformVersion
            ? true
            : throw new InvalidOperationException(DocumentSql.OldPlatformSchema(row.GetInt64(1)));
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
