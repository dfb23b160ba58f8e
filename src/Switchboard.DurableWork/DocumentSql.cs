using System.Data.Common;

namespace Switchboard.DurableWork;

// Compiled into Switchboard.DurableWork.PostgreSql too (a linked file), as StoreSql is: the SQL both stores share.
/// <summary>The document set's SQL, one text for both databases (the few differences are chosen here).</summary>
internal static class DocumentSql
{
    public const string Columns = "kind, id, version, body, lookup, owner, link, name, finished_at, started_at, created_at";

    public const string Get = $"SELECT {Columns} FROM work_documents WHERE kind = @kind AND id = @id";

    public const string Find = $"SELECT {Columns} FROM work_documents WHERE kind = @kind AND lookup = @lookup";

    public const string Create =
        "INSERT INTO work_documents (kind, id, version, lookup, owner, link, name, finished_at, started_at, body, created_at, updated_at) " +
        "VALUES (@kind, @id, 1, @lookup, @owner, @link, @name, @finished_at, @started_at, @body, @now, @now) ON CONFLICT DO NOTHING";

    private const string ReplaceSet =
        "UPDATE work_documents SET version = version + 1, body = @body, lookup = COALESCE(@lookup, lookup), owner = @owner, link = @link, " +
        "name = @name, finished_at = @finished_at, started_at = @started_at, updated_at = @now WHERE kind = @kind AND id = @id";

    public const string Replace = ReplaceSet;

    public const string ReplaceVersion = ReplaceSet + " AND version = @version";

    public const string Delete = "DELETE FROM work_documents WHERE kind = @kind AND id = @id";

    public const string DeleteVersion = Delete + " AND version = @version";

    public static (string Sql, SqlArg[] Args) Put(DocumentPut put, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(put);
        ArgumentException.ThrowIfNullOrEmpty(put.Kind);
        ArgumentException.ThrowIfNullOrEmpty(put.Id);
        ArgumentNullException.ThrowIfNull(put.Body);
        var c = put.Columns;
        SqlArg[] args =
        [
            new("kind", put.Kind), new("id", put.Id), new("body", put.Body), new("now", StoreSql.Ms(put.At ?? now)),
            new("lookup", c.Lookup), new("owner", c.Owner), new("link", c.Link), new("name", c.Name),
            new("finished_at", c.FinishedAt is { } finished ? StoreSql.Ms(finished) : null),
            new("started_at", c.StartedAt is { } started ? StoreSql.Ms(started) : null),
        ];
        return put.ExpectedVersion switch
        {
            0 => (Create, args),
            null => (Replace, args),
            { } version => (ReplaceVersion, [.. args, new("version", version)]),
        };
    }

    public const string Prune =
        "DELETE FROM work_documents WHERE kind = @kind AND id IN (" +
        "SELECT id FROM work_documents WHERE kind = @kind AND finished_at < @before ORDER BY finished_at LIMIT @limit)";

    public static SqlArg[] PruneArgs(WorkBatchOperation.PruneDocuments prune) =>
        [new("kind", prune.Kind), new("before", StoreSql.Ms(prune.FinishedBefore)), new("limit", prune.MaxDocuments)];

    public static SqlArg[] DeleteArgs(string kind, string id, long? version) =>
        version is { } expected ? [new("kind", kind), new("id", id), new("version", expected)] : [new("kind", kind), new("id", id)];

    public static StoredDocument Read(DbDataReader row) => new(
        row.GetString(0),
        row.GetString(1),
        row.GetInt64(2),
        row.GetString(3),
        new DocumentColumns(
            Text(row, 4), Text(row, 5), Text(row, 6), Text(row, 7),
            row.IsDBNull(8) ? null : StoreSql.Time(row.GetInt64(8)),
            row.IsDBNull(9) ? null : StoreSql.Time(row.GetInt64(9))),
        StoreSql.Time(row.GetInt64(10)));

    private static string? Text(DbDataReader row, int i) => row.IsDBNull(i) ? null : row.GetString(i);

    public static string List(IReadOnlyList<string> values, string prefix, List<SqlArg> args) =>
        string.Join(", ", values.Select(value =>
        {
            var name = $"{prefix}{args.Count}";
            args.Add(new(name, value));
            return "@" + name;
        }));

    // A body property is found as the serializer writes it, '"name":value' then ',' or '}' (a value's own quotes and
    // commas are escaped or closed before that), by substring position: LIKE is case-insensitive on SQLite.
    public static string Where(WorkStoreBackend backend, DocumentQuery query, List<SqlArg> args)
    {
        var where = "kind = @kind";
        where += Equal("owner", query.Owner) + Equal("link", query.Link) + Equal("name", query.Name);
        where += Contains("name", query.NameContains) + Contains("lookup", query.LookupContains);
        var find = backend == WorkStoreBackend.Postgres ? "strpos" : "instr";
        foreach (var property in query.BodyEquals.GroupBy(e => e.Property))
        {
            var any = new List<string>();
            foreach (var (_, json) in property)
            {
                var i = args.Count;
                any.Add($"{find}(body, @body{i}) > 0 OR {find}(body, @body{i + 1}) > 0");
                args.Add(new($"body{i}", $"\"{property.Key}\":{json},"));
                args.Add(new($"body{i + 1}", $"\"{property.Key}\":{json}}}"));
            }

            where += $" AND ({string.Join(" OR ", any)})";
        }

        where += Range("created_at", query.Created) + Range("started_at", query.Started) + Range("finished_at", query.Finished);
        if (query.Lookups is { } lookups)
        {
            where += lookups.Count == 0 ? " AND 1 = 0" : $" AND lookup IN ({List(lookups, "lookups", args)})";
        }

        return where;

        string Equal(string column, string? value)
        {
            if (value is null)
            {
                return "";
            }

            args.Add(new(column, value));
            return $" AND {column} = @{column}";
        }

        string Contains(string column, string? text)
        {
            if (text is null)
            {
                return "";
            }

            args.Add(new($"{column}_like", $"%{EscapeLike(text)}%"));
            return $" AND {column} LIKE @{column}_like ESCAPE '\\'";
        }

        string Range(string column, DocumentTimeRange range)
        {
            var text = "";
            if (range.From is { } from)
            {
                text += $" AND {column} >= @{column}_from";
                args.Add(new($"{column}_from", StoreSql.Ms(from)));
            }

            if (range.To is { } to)
            {
                text += $" AND {column} <= @{column}_to";
                args.Add(new($"{column}_to", StoreSql.Ms(to)));
            }

            return text;
        }
    }

    private static string EscapeLike(string text) => text.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");

    /// <summary>The table and its indexes, the same text for both databases (BIGINT and TEXT mean the same to both).</summary>
    public const string Schema =
        """
        CREATE TABLE work_documents (
            kind TEXT NOT NULL,
            id TEXT NOT NULL,
            version BIGINT NOT NULL,
            lookup TEXT,
            owner TEXT,
            link TEXT,
            name TEXT,
            body TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            started_at BIGINT,
            finished_at BIGINT,
            PRIMARY KEY (kind, id)
        );
        CREATE UNIQUE INDEX work_documents_lookup ON work_documents (kind, lookup) WHERE lookup IS NOT NULL;
        CREATE INDEX work_documents_owner ON work_documents (kind, owner) WHERE owner IS NOT NULL;
        CREATE INDEX work_documents_link ON work_documents (kind, link) WHERE link IS NOT NULL;
        CREATE INDEX work_documents_created ON work_documents (kind, created_at, id);
        CREATE INDEX work_documents_finished ON work_documents (kind, finished_at) WHERE finished_at IS NOT NULL;
        """;

    /// <summary>
    /// The delivery log's filters (status and tag, newest first) and the charts' recent attempts, read from indexes. Indexes
    /// of the same shape made by the platform's own migrations before they moved here are dropped.
    /// </summary>
    public const string QueryIndexes =
        """
        DROP INDEX IF EXISTS platform_work_items_status;
        DROP INDEX IF EXISTS platform_work_items_tag;
        DROP INDEX IF EXISTS platform_work_attempts_finished;
        CREATE INDEX work_items_status ON work_items (queue, status, created_at);
        CREATE INDEX work_items_tag ON work_items (queue, tag, created_at);
        CREATE INDEX work_attempts_finished ON work_attempts (finished_at);
        """;

    /// <summary>
    /// <see cref="QueryIndexes"/> leave the store's schema: every queue paid for them on every write (a receiver's inbox
    /// too). A queue whose items are queried asks for its own, partial on it (<see cref="QueryIndexesOf"/>).
    /// </summary>
    public const string DropQueryIndexes =
        """
        DROP INDEX IF EXISTS work_items_status;
        DROP INDEX IF EXISTS work_items_tag;
        DROP INDEX IF EXISTS work_attempts_finished;
        """;

    /// <summary>The component name under which <see cref="QueryIndexesOf"/> of <paramref name="queue"/> are migrated.</summary>
    public static string QueryIndexesComponent(string queue) => $"query-indexes:{queue}";

    /// <summary>
    /// The indexes of <see cref="IWorkStore.QueryAsync"/>'s filters (status, tag; newest first) on one queue, partial on it
    /// (the planner matches the query's <c>queue = @queue</c> with its value bound), and the one of
    /// <see cref="IWorkStore.ListAttemptsAsync"/> (attempts carry no queue, so that one is on every attempt of the store; a
    /// store with no queried queue has none). The same text for both databases.
    /// </summary>
    public static string QueryIndexesOf(string queue)
    {
        StoreSql.CheckQueue(queue);
        var literal = "'" + queue.Replace("'", "''", StringComparison.Ordinal) + "'";
        var suffix = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(queue)))[..12];
        return
            $"""
            CREATE INDEX IF NOT EXISTS work_items_status_{suffix} ON work_items (status, created_at) WHERE queue = {literal};
            CREATE INDEX IF NOT EXISTS work_items_tag_{suffix} ON work_items (tag, created_at) WHERE queue = {literal};
            CREATE INDEX IF NOT EXISTS work_attempts_finished ON work_attempts (finished_at);
            """;
    }

    /// <summary>The platform schema version of the last release that kept its own tables.</summary>
    public const long LastPlatformVersion = 5;

    public static string OldPlatformSchema(long version) =>
        $"this database's platform tables are at schema version {version}, older than {LastPlatformVersion}: open it once with the release before the document set to bring them up to date";

    /// <summary>
    /// A database a platform of an earlier version wrote: its resources (platform_resources, with finished_at and
    /// started_at), settings and call command ids become documents (kinds as the platform names them: settings are kind
    /// <c>setting</c>, command ids <c>call_command</c>), and the old tables go. Run when those tables exist.
    /// </summary>
    public const string AdoptPlatformTables =
        """
        INSERT INTO work_documents (kind, id, version, lookup, owner, link, name, body, created_at, updated_at, started_at, finished_at)
        SELECT kind, id, 1, lookup, owner, connection_id, name, body, created_at, updated_at, started_at, finished_at FROM platform_resources;
        INSERT INTO work_documents (kind, id, version, body, created_at, updated_at)
        SELECT 'setting', name, 1, value, 0, 0 FROM platform_settings;
        INSERT INTO work_documents (kind, id, version, owner, name, body, created_at, updated_at, finished_at)
        SELECT 'call_command', call_control_id || ':' || command_id, 1, call_control_id, action, '{}', created_at, created_at, created_at FROM platform_call_commands;
        DROP TABLE platform_resources;
        DROP TABLE platform_settings;
        DROP TABLE platform_call_commands;
        DELETE FROM work_component_schema WHERE component = 'platform';
        """;
}
