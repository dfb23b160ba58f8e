using Switchboard.DurableWork;

namespace Switchboard.Platform.Storage;

/// <summary>The kinds of resource kept in <c>platform_resources</c>.</summary>
internal static class ResourceKinds
{
    public const string MessagingProfile = "messaging_profile";
    public const string PhoneNumber = "phone_number";
    public const string NumberOrder = "number_order";
    public const string NumberVoiceSettings = "number_voice";
    public const string Message = "message";
    public const string CallControlApplication = "call_control_application";
    public const string Call = "call";
    public const string Recording = "recording";
}

/// <summary>One stored resource: its JSON body and the columns beside it.</summary>
internal sealed record StoredResource(string Id, string Body, string? Lookup, string? Owner, string? ConnectionId, string? Name, DateTimeOffset CreatedAt);

/// <summary>
/// The columns beside a resource's body that lookups and filters use (see <see cref="PlatformSchema"/>), and when it
/// finished (a message's final status, a call's hangup, a saved recording): only finished resources are pruned.
/// </summary>
internal readonly record struct ResourceColumns(
    string? Lookup = null, string? Owner = null, string? ConnectionId = null, string? Name = null, DateTimeOffset? FinishedAt = null,
    DateTimeOffset? StartedAt = null);

/// <summary>A time range of a list filter, both ends included; either may be open.</summary>
internal readonly record struct TimeRange(DateTimeOffset? From = null, DateTimeOffset? To = null);

/// <summary>
/// A list's filters beyond the columns: properties of the stored body equal to a value (found anywhere in the body, so
/// only for a name the body has once; matched as the stored JSON writes it, case-sensitive; several values of one
/// property match any of them), time ranges on when a resource was created, started (a recording) and finished, the
/// lookups it may have, and the order by lookup instead of newest first.
/// </summary>
internal sealed record ResourceFilter
{
    public IReadOnlyList<(string Property, string Json)> BodyEquals { get; init; } = [];
    public TimeRange Created { get; init; }
    public TimeRange Started { get; init; }
    public TimeRange Finished { get; init; }
    public IReadOnlyList<string>? Lookups { get; init; }
    public bool? LookupAscending { get; init; }

    /// <summary>A string property of the body equal to <paramref name="value"/>.</summary>
    public static (string, string) Property(string property, string value) =>
        (property, System.Text.Json.JsonSerializer.Serialize(value, Api.PlatformJson.Default.String));

    public static (string, string) Property(string property, long value) =>
        (property, value.ToString(System.Globalization.CultureInfo.InvariantCulture));
}

/// <summary>
/// Reads and writes of <c>platform_resources</c> inside the store's transactions, the one place their SQL lives. A read
/// for update locks the row on PostgreSQL (SQLite's single writer serialises every write already), so two processes
/// changing one call or message take turns.
/// </summary>
internal static class Resources
{
    private const string Columns = "id, body, lookup, owner, connection_id, name, created_at";

    public static async ValueTask<StoredResource?> GetAsync(IWorkReader reader, string kind, string id, bool forUpdate = false)
    {
        var lockRow = forUpdate && reader.Backend == WorkStoreBackend.Postgres ? " FOR UPDATE" : "";
        var rows = await reader.QueryAsync($"SELECT {Columns} FROM platform_resources WHERE kind = @kind AND id = @id{lockRow}", Read,
            new SqlArg("kind", kind), new SqlArg("id", id));
        return rows.Count == 0 ? null : rows[0];
    }

    public static async ValueTask<StoredResource?> FindByLookupAsync(IWorkReader reader, string kind, string lookup)
    {
        var rows = await reader.QueryAsync($"SELECT {Columns} FROM platform_resources WHERE kind = @kind AND lookup = @lookup", Read,
            new SqlArg("kind", kind), new SqlArg("lookup", lookup));
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>
    /// Before inserting a resource with this lookup: on PostgreSQL, a lock on the lookup until the transaction ends, so
    /// two transactions inserting it take turns and the second finds the first's row (instead of both finding none and
    /// the second failing on the unique index). SQLite's single writer takes turns already.
    /// </summary>
    public static async ValueTask LockLookupAsync(IWorkReader reader, string kind, string lookup)
    {
        if (reader.Backend == WorkStoreBackend.Postgres)
        {
            await reader.QueryAsync("SELECT pg_advisory_xact_lock(hashtextextended(@kind || ':' || @lookup, 0))", _ => 0,
                new SqlArg("kind", kind), new SqlArg("lookup", lookup));
        }
    }

    /// <summary>How many resources of <paramref name="kind"/> hang off <paramref name="owner"/> (as owner, or as connection).</summary>
    public static async ValueTask<long> CountOwnedAsync(IWorkReader reader, string kind, string owner)
    {
        var rows = await reader.QueryAsync(
            "SELECT (SELECT count(*) FROM platform_resources WHERE kind = @kind AND owner = @owner) + " +
            "(SELECT count(*) FROM platform_resources WHERE kind = @kind AND connection_id = @owner)", r => r.GetInt64(0),
            new SqlArg("kind", kind), new SqlArg("owner", owner));
        return rows[0];
    }

    public static ValueTask<int> InsertAsync(IWorkTransaction transaction, string kind, string id, string body, DateTimeOffset now, ResourceColumns columns = default) =>
        transaction.ExecuteAsync(
            "INSERT INTO platform_resources (kind, id, lookup, owner, connection_id, name, finished_at, started_at, body, created_at, updated_at) " +
            "VALUES (@kind, @id, @lookup, @owner, @connection_id, @name, @finished_at, @started_at, @body, @now, @now)",
            [new("kind", kind), new("id", id), .. Args(columns), new("body", body), new("now", now.ToUnixTimeMilliseconds())]);

    /// <summary>Replaces a resource's body and columns; its lookup is kept when <paramref name="columns"/> gives none (a call's dial command_id).</summary>
    public static ValueTask<int> UpdateAsync(IWorkTransaction transaction, string kind, string id, string body, DateTimeOffset now, ResourceColumns columns = default) =>
        transaction.ExecuteAsync(
            "UPDATE platform_resources SET body = @body, lookup = COALESCE(@lookup, lookup), owner = @owner, connection_id = @connection_id, name = @name, " +
            "finished_at = @finished_at, started_at = @started_at, updated_at = @now " +
            "WHERE kind = @kind AND id = @id",
            [new("kind", kind), new("id", id), .. Args(columns), new("body", body), new("now", now.ToUnixTimeMilliseconds())]);

    private static SqlArg[] Args(ResourceColumns columns) =>
        [new("lookup", columns.Lookup), new("owner", columns.Owner), new("connection_id", columns.ConnectionId), new("name", columns.Name),
            new("finished_at", columns.FinishedAt?.ToUnixTimeMilliseconds()), new("started_at", columns.StartedAt?.ToUnixTimeMilliseconds())];

    public static ValueTask<int> DeleteAsync(IWorkTransaction transaction, string kind, string id) =>
        transaction.ExecuteAsync("DELETE FROM platform_resources WHERE kind = @kind AND id = @id", new("kind", kind), new("id", id));

    /// <summary>
    /// Deletes up to <paramref name="maxItems"/> resources of <paramref name="kind"/> that finished before
    /// <paramref name="finishedBefore"/>, oldest first; returns how many. Unfinished ones (no finish time) are never touched.
    /// </summary>
    public static ValueTask<int> PruneFinishedAsync(IWorkTransaction transaction, string kind, DateTimeOffset finishedBefore, int maxItems) =>
        transaction.ExecuteAsync(
            "DELETE FROM platform_resources WHERE kind = @kind AND id IN (" +
            "SELECT id FROM platform_resources WHERE kind = @kind AND finished_at < @before ORDER BY finished_at LIMIT @limit)",
            new("kind", kind), new("before", finishedBefore.ToUnixTimeMilliseconds()), new("limit", maxItems));

    /// <summary>
    /// A page of one kind, newest first, with the total. Filters: <paramref name="owner"/>, <paramref name="connectionId"/>
    /// and <paramref name="name"/> exactly; <paramref name="nameContains"/> and <paramref name="lookupContains"/> as
    /// substrings (LIKE, their wildcards escaped); and <paramref name="filter"/>'s.
    /// </summary>
    public static async ValueTask<(IReadOnlyList<StoredResource> Items, long Total)> ListAsync(
        IWorkReader reader, string kind, int pageNumber, int pageSize,
        string? owner = null, string? connectionId = null, string? name = null, string? nameContains = null, string? lookupContains = null,
        ResourceFilter? filter = null)
    {
        var where = "kind = @kind";
        var args = new List<SqlArg> { new("kind", kind) };
        if (owner is not null)
        {
            where += " AND owner = @owner";
            args.Add(new("owner", owner));
        }

        if (connectionId is not null)
        {
            where += " AND connection_id = @connection_id";
            args.Add(new("connection_id", connectionId));
        }

        if (name is not null)
        {
            where += " AND name = @name";
            args.Add(new("name", name));
        }

        if (nameContains is not null)
        {
            where += " AND name LIKE @name_like ESCAPE '\\'";
            args.Add(new("name_like", $"%{EscapeLike(nameContains)}%"));
        }

        if (lookupContains is not null)
        {
            where += " AND lookup LIKE @lookup_like ESCAPE '\\'";
            args.Add(new("lookup_like", $"%{EscapeLike(lookupContains)}%"));
        }

        var order = "created_at DESC, id DESC";
        if (filter is not null)
        {
            where += Where(reader.Backend, filter, args);
            order = filter.LookupAscending switch { true => "lookup ASC, id ASC", false => "lookup DESC, id DESC", null => order };
        }

        var total = (await reader.QueryAsync($"SELECT count(*) FROM platform_resources WHERE {where}", r => r.GetInt64(0), [.. args]))[0];
        args.Add(new("limit", pageSize));
        args.Add(new("offset", (long)(pageNumber - 1) * pageSize));
        var items = await reader.QueryAsync(
            $"SELECT {Columns} FROM platform_resources WHERE {where} ORDER BY {order} LIMIT @limit OFFSET @offset", Read, [.. args]);
        return (items, total);
    }

    /// <summary>Which of <paramref name="lookups"/> resources of <paramref name="kind"/> have (say, the numbers on the account).</summary>
    public static async ValueTask<IReadOnlySet<string>> ExistingLookupsAsync(IWorkReader reader, string kind, IReadOnlyList<string> lookups)
    {
        if (lookups.Count == 0)
        {
            return new HashSet<string>();
        }

        var args = new List<SqlArg> { new("kind", kind) };
        var names = string.Join(", ", lookups.Select((lookup, i) =>
        {
            args.Add(new($"lookup{i}", lookup));
            return $"@lookup{i}";
        }));
        var rows = await reader.QueryAsync($"SELECT lookup FROM platform_resources WHERE kind = @kind AND lookup IN ({names})", r => r.GetString(0), [.. args]);
        return rows.ToHashSet(StringComparer.Ordinal);
    }

    // A body property is found as the serializer writes it, '"name":value' then ',' or '}' (a value's own quotes and
    // commas are escaped or closed before that), by substring position: LIKE is case-insensitive on SQLite.
    private static string Where(WorkStoreBackend backend, ResourceFilter filter, List<SqlArg> args)
    {
        var where = "";
        var find = backend == WorkStoreBackend.Postgres ? "strpos" : "instr";
        foreach (var property in filter.BodyEquals.GroupBy(e => e.Property))
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

        where += Range("created_at", filter.Created) + Range("started_at", filter.Started) + Range("finished_at", filter.Finished);
        if (filter.Lookups is { } lookups)
        {
            where += lookups.Count == 0 ? " AND 1 = 0" : $" AND lookup IN ({string.Join(", ", lookups.Select((lookup, i) =>
            {
                args.Add(new($"lookups{i}", lookup));
                return $"@lookups{i}";
            }))})";
        }

        return where;

        string Range(string column, TimeRange range)
        {
            var text = "";
            if (range.From is { } from)
            {
                text += $" AND {column} >= @{column}_from";
                args.Add(new($"{column}_from", from.ToUnixTimeMilliseconds()));
            }

            if (range.To is { } to)
            {
                text += $" AND {column} <= @{column}_to";
                args.Add(new($"{column}_to", to.ToUnixTimeMilliseconds()));
            }

            return text;
        }
    }

    public static async ValueTask<string?> GetSettingAsync(IWorkReader reader, string name)
    {
        var rows = await reader.QueryAsync("SELECT value FROM platform_settings WHERE name = @name", r => r.GetString(0), new SqlArg("name", name));
        return rows.Count == 0 ? null : rows[0];
    }

    public static ValueTask<int> PutSettingAsync(IWorkTransaction transaction, string name, string value) =>
        transaction.ExecuteAsync(
            "INSERT INTO platform_settings (name, value) VALUES (@name, @value) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            new("name", name), new("value", value));

    private static string EscapeLike(string text) => text.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");

    private static StoredResource Read(System.Data.Common.DbDataReader row) => new(
        row.GetString(0),
        row.GetString(1),
        row.IsDBNull(2) ? null : row.GetString(2),
        row.IsDBNull(3) ? null : row.GetString(3),
        row.IsDBNull(4) ? null : row.GetString(4),
        row.IsDBNull(5) ? null : row.GetString(5),
        DateTimeOffset.FromUnixTimeMilliseconds(row.GetInt64(6)));
}
