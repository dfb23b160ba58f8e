
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
    /// <summary>
    /// When the write happened by the caller's clock (the document's creation time when it creates it, so lists order by
    /// the resource's own time); null: the store's time when the batch commits.
    /// </summary>
    public DateTimeOffset? At { get; init; }

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

    public static async ValueTask<StoredDocument?> FindDocumentAsync(this IWorkReader reader, string kind, string lookup)
    {
        var rows = await reader.QueryAsync(DocumentSql.Find, DocumentSql.Read, new SqlArg("kind", kind), new SqlArg("lookup", lookup));
        return rows.Count == 0 ? null : rows[0];
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
}
