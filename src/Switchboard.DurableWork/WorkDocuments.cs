using System.Data.Common;

namespace Switchboard.DurableWork;

/// <summary>
/// One stored document of the store's document set: a JSON body of some kind, with the few columns beside it that
/// lookups, lists and retention use. <see cref="Version"/> counts its writes (1 when created), for writes under a
/// version check (<see cref="DocumentPut.ExpectedVersion"/>).
/// </summary>
public sealed record StoredDocument(
    string Kind, string Id, long Version, string Body, DocumentColumns Columns, DateTimeOffset CreatedAt);

/// <summary>
/// The columns beside a document's body. <see cref="Lookup"/>: unique per kind (a phone number); <see cref="Owner"/>:
/// the document it hangs off; <see cref="Link"/>: a second one it belongs to; <see cref="Name"/>: what lists filter on;
/// <see cref="StartedAt"/>, <see cref="FinishedAt"/>: time filters, and retention (only finished documents are pruned).
/// </summary>
public readonly record struct DocumentColumns(
    string? Lookup = null, string? Owner = null, string? Link = null, string? Name = null,
    DateTimeOffset? FinishedAt = null, DateTimeOffset? StartedAt = null);

/// <summary>
/// Writes a document. <see cref="ExpectedVersion"/> 0: create it, refused if its id exists; a version: replace it, refused
/// unless that is still its version; null: replace it whatever its version (a caller holding it locked). A replace keeps
/// the stored lookup when <see cref="DocumentColumns.Lookup"/> is null.
/// </summary>
public sealed record DocumentPut(string Kind, string Id, string Body, DocumentColumns Columns, long? ExpectedVersion)
{
    public static DocumentPut Create(string kind, string id, string body, DocumentColumns columns = default) => new(kind, id, body, columns, 0);

    public static DocumentPut Replace(StoredDocument read, string body, DocumentColumns columns) => new(read.Kind, read.Id, body, columns, read.Version);
}

/// <summary>A time range of a document list filter, both ends included; either may be open.</summary>
public readonly record struct DocumentTimeRange(DateTimeOffset? From = null, DateTimeOffset? To = null);

/// <summary>
/// A page of documents of one kind, newest first (or by lookup). Filters: <see cref="Owner"/>, <see cref="Link"/> and
/// <see cref="Name"/> exactly; <see cref="NameContains"/>, <see cref="LookupContains"/> as substrings;
/// <see cref="BodyEquals"/>: properties of the body equal to a JSON value, as the serializer writes it compactly
/// ("name":value followed by , or }), found anywhere in the body, so only for a name the body has once (several values
/// of one property match any of them); time ranges; <see cref="Lookups"/>: one of these.
/// </summary>
public sealed record DocumentQuery
{
    public int PageNumber { get; init; } = 1;
    public int PageSize { get; init; } = 20;
    public string? Owner { get; init; }
    public string? Link { get; init; }
    public string? Name { get; init; }
    public string? NameContains { get; init; }
    public string? LookupContains { get; init; }
    public IReadOnlyList<(string Property, string Json)> BodyEquals { get; init; } = [];
    public DocumentTimeRange Created { get; init; }
    public DocumentTimeRange Started { get; init; }
    public DocumentTimeRange Finished { get; init; }
    public IReadOnlyList<string>? Lookups { get; init; }

    /// <summary>Order by lookup (true ascending, false descending) instead of newest first.</summary>
    public bool? LookupAscending { get; init; }
}

/// <summary>A page of documents and how many match in all.</summary>
public sealed record DocumentPage(IReadOnlyList<StoredDocument> Items, long Total);

/// <summary>
/// The store's document set (table <c>work_documents</c>, in the store's schema): typed reads on a snapshot or in a
/// transaction, and typed writes in a transaction (for a write-only batch, see <see cref="WorkBatch"/>).
/// </summary>
public static class WorkDocuments
{
    public static async ValueTask<StoredDocument?> GetDocumentAsync(this IWorkReader reader, string kind, string id)
    {
        var rows = await reader.QueryAsync(DocumentSql.Get, DocumentSql.Read, new SqlArg("kind", kind), new SqlArg("id", id));
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>
    /// Reads a document to change it in this transaction: locked on PostgreSQL until the transaction ends, so two
    /// processes changing one document take turns (SQLite's single writer serialises every write already).
    /// </summary>
    public static async ValueTask<StoredDocument?> GetDocumentForUpdateAsync(this IWorkTransaction transaction, string kind, string id)
    {
        var sql = transaction.Backend == WorkStoreBackend.Postgres ? DocumentSql.Get + " FOR UPDATE" : DocumentSql.Get;
        var rows = await transaction.QueryAsync(sql, DocumentSql.Read, new SqlArg("kind", kind), new SqlArg("id", id));
        return rows.Count == 0 ? null : rows[0];
    }

    public static async ValueTask<StoredDocument?> FindDocumentAsync(this IWorkReader reader, string kind, string lookup)
    {
        var rows = await reader.QueryAsync(DocumentSql.Find, DocumentSql.Read, new SqlArg("kind", kind), new SqlArg("lookup", lookup));
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>
    /// Before creating a document with this lookup: on PostgreSQL, a lock on the lookup until the transaction ends, so
    /// two transactions creating it take turns and the second finds the first's document (instead of both finding none
    /// and the second failing on the unique lookup). SQLite's single writer takes turns already.
    /// </summary>
    public static async ValueTask LockLookupAsync(this IWorkTransaction transaction, string kind, string lookup)
    {
        if (transaction.Backend == WorkStoreBackend.Postgres)
        {
            await transaction.QueryAsync("SELECT pg_advisory_xact_lock(hashtextextended('work_documents:' || @kind || ':' || @lookup, 0))", _ => 0,
                new SqlArg("kind", kind), new SqlArg("lookup", lookup));
        }
    }

    /// <summary>How many documents of <paramref name="kind"/> hang off <paramref name="owner"/>, as owner or as link.</summary>
    public static async ValueTask<long> CountOwnedDocumentsAsync(this IWorkReader reader, string kind, string owner)
    {
        var rows = await reader.QueryAsync(
            "SELECT (SELECT count(*) FROM work_documents WHERE kind = @kind AND owner = @owner) + " +
            "(SELECT count(*) FROM work_documents WHERE kind = @kind AND link = @owner)", r => r.GetInt64(0),
            new SqlArg("kind", kind), new SqlArg("owner", owner));
        return rows[0];
    }

    /// <summary>Which of <paramref name="lookups"/> documents of <paramref name="kind"/> have.</summary>
    public static async ValueTask<IReadOnlySet<string>> ExistingLookupsAsync(this IWorkReader reader, string kind, IReadOnlyList<string> lookups)
    {
        if (lookups.Count == 0)
        {
            return new HashSet<string>();
        }

        var args = new List<SqlArg> { new("kind", kind) };
        var rows = await reader.QueryAsync(
            $"SELECT lookup FROM work_documents WHERE kind = @kind AND lookup IN ({DocumentSql.List(lookups, "lookup", args)})", r => r.GetString(0), [.. args]);
        return rows.ToHashSet(StringComparer.Ordinal);
    }

    public static async ValueTask<DocumentPage> ListDocumentsAsync(this IWorkReader reader, string kind, DocumentQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(query.PageNumber);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(query.PageSize);
        var args = new List<SqlArg> { new("kind", kind) };
        var where = DocumentSql.Where(reader.Backend, query, args);
        var order = query.LookupAscending switch { true => "lookup ASC, id ASC", false => "lookup DESC, id DESC", null => "created_at DESC, id DESC" };
        var total = (await reader.QueryAsync($"SELECT count(*) FROM work_documents WHERE {where}", r => r.GetInt64(0), [.. args]))[0];
        args.Add(new("limit", query.PageSize));
        args.Add(new("offset", (long)(query.PageNumber - 1) * query.PageSize));
        var items = await reader.QueryAsync(
            $"SELECT {DocumentSql.Columns} FROM work_documents WHERE {where} ORDER BY {order} LIMIT @limit OFFSET @offset", DocumentSql.Read, [.. args]);
        return new DocumentPage(items, total);
    }

    /// <summary>Writes a document in this transaction; false if refused by its version check (nothing written).</summary>
    public static async ValueTask<bool> PutDocumentAsync(this IWorkTransaction transaction, DocumentPut put, DateTimeOffset now)
    {
        var (sql, args) = DocumentSql.Put(put, now);
        return await transaction.ExecuteAsync(sql, args) == 1;
    }

    /// <summary>Deletes a document in this transaction; false if there was none.</summary>
    public static async ValueTask<bool> DeleteDocumentAsync(this IWorkTransaction transaction, string kind, string id) =>
        await transaction.ExecuteAsync(DocumentSql.Delete, DocumentSql.DeleteArgs(kind, id, null)) == 1;

    /// <summary>
    /// Deletes up to <paramref name="maxItems"/> documents of <paramref name="kind"/> that finished before
    /// <paramref name="finishedBefore"/>, oldest first; returns how many. Unfinished ones are never touched.
    /// </summary>
    public static ValueTask<int> PruneDocumentsAsync(this IWorkTransaction transaction, string kind, DateTimeOffset finishedBefore, int maxItems) =>
        transaction.ExecuteAsync(
            "DELETE FROM work_documents WHERE kind = @kind AND id IN (" +
            "SELECT id FROM work_documents WHERE kind = @kind AND finished_at < @before ORDER BY finished_at LIMIT @limit)",
            new("kind", kind), new("before", StoreSql.Ms(finishedBefore)), new("limit", maxItems));
}

/// <summary>The document set's SQL, one text for both databases (the few differences are chosen here).</summary>
internal static class DocumentSql
{
    public const string Columns = "kind, id, version, body, lookup, owner, link, name, finished_at, started_at, created_at";

    public const string Get = $"SELECT {Columns} FROM work_documents WHERE kind = @kind AND id = @id";

    public const string Find = $"SELECT {Columns} FROM work_documents WHERE kind = @kind AND lookup = @lookup";

    public const string Create =
        "INSERT INTO work_documents (kind, id, version, lookup, owner, link, name, finished_at, started_at, body, created_at, updated_at) " +
        "VALUES (@kind, @id, 1, @lookup, @owner, @link, @name, @finished_at, @started_at, @body, @now, @now) ON CONFLICT (kind, id) DO NOTHING";

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
            new("kind", put.Kind), new("id", put.Id), new("body", put.Body), new("now", StoreSql.Ms(now)),
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
