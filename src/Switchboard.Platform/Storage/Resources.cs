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

/// <summary>One stored resource: its JSON body, the columns beside it, and its version (for a write under a version check).</summary>
internal sealed record StoredResource(string Id, string Body, string? Lookup, string? Owner, string? ConnectionId, string? Name, DateTimeOffset CreatedAt, long Version = 0)
{
    public static StoredResource From(StoredDocument document) => new(
        document.Id, document.Body, document.Columns.Lookup, document.Columns.Owner, document.Columns.Link, document.Columns.Name, document.CreatedAt, document.Version);
}

/// <summary>
/// The columns beside a resource's body that lookups and filters use, and when it finished (a message's final status, a
/// call's hangup, a saved recording): only finished resources are pruned.
/// </summary>
internal readonly record struct ResourceColumns(
    string? Lookup = null, string? Owner = null, string? ConnectionId = null, string? Name = null, DateTimeOffset? FinishedAt = null,
    DateTimeOffset? StartedAt = null)
{
    public DocumentColumns ToDocument() => new(Lookup, Owner, ConnectionId, Name, FinishedAt, StartedAt);
}

/// <summary>A time range of a list filter, both ends included; either may be open.</summary>
internal readonly record struct TimeRange(DateTimeOffset? From = null, DateTimeOffset? To = null)
{
    public DocumentTimeRange ToDocument() => new(From, To);
}

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
/// The platform's resources, kept as documents of the work store (<see cref="WorkDocuments"/>) beside its queues, so a
/// resource change and the work and webhooks it causes commit together. One kind per resource (<see cref="ResourceKinds"/>);
/// the connection a number or a call belongs to is the document's link.
/// </summary>
internal static class Resources
{
    /// <summary>The kind of the platform's settings (one document each, the name as id, the value as body).</summary>
    private const string SettingKind = "setting";

    /// <summary>
    /// Reads on a snapshot and plans into a new batch, then commits it (<see cref="WorkPlans.PlanAndCommitAsync{T}"/>):
    /// <paramref name="plan"/> runs again from the start, on a new snapshot and batch, when something it read changed
    /// before the commit. Returns the committed plan's result.
    /// </summary>
    public static async Task<T> PlanAsync<T>(IWorkStore store, Func<IWorkReader, WorkBatch, ValueTask<T>> plan, CancellationToken cancellationToken) =>
        (await store.PlanAndCommitAsync(async reader =>
        {
            var batch = new WorkBatch();
            return new WorkPlan<T>(batch, await plan(reader, batch));
        }, cancellationToken)).Result;

    public static async ValueTask<StoredResource?> GetAsync(IWorkReader reader, string kind, string id) =>
        await reader.GetDocumentAsync(kind, id) is { } document ? StoredResource.From(document) : null;

    public static async ValueTask<StoredResource?> FindByLookupAsync(IWorkReader reader, string kind, string lookup) =>
        await reader.FindDocumentAsync(kind, lookup) is { } document ? StoredResource.From(document) : null;

    /// <summary>How many resources of <paramref name="kind"/> hang off <paramref name="owner"/> (as owner, or as connection).</summary>
    public static ValueTask<long> CountOwnedAsync(IWorkReader reader, string kind, string owner) => reader.CountOwnedDocumentsAsync(kind, owner);

    /// <summary>Stores a new resource with an id of its own (nothing to read first).</summary>
    public static async Task CreateAsync(IWorkStore store, string kind, string id, string body, DateTimeOffset createdAt, ResourceColumns columns, CancellationToken cancellationToken)
    {
        var batch = new WorkBatch();
        Insert(batch, kind, id, body, createdAt, columns);
        if ((await store.CommitAsync(batch, cancellationToken)).Outcome != WorkBatchOutcome.Committed)
        {
            throw new InvalidOperationException($"{kind} {id} exists already");
        }
    }

    /// <summary>In a write-only batch: creates a resource, refused (a conflict) if its id or its lookup is taken meanwhile.</summary>
    public static void Insert(WorkBatch batch, string kind, string id, string body, DateTimeOffset createdAt, ResourceColumns columns = default) =>
        batch.PutDocument(DocumentPut.Create(kind, id, body, columns.ToDocument()) with { At = createdAt });

    /// <summary>In a write-only batch: deletes the resource read as <paramref name="read"/>, refused (a conflict) if it changed since.</summary>
    public static void Delete(WorkBatch batch, string kind, StoredResource read) => batch.DeleteDocument(kind, read.Id, read.Version);

    /// <summary>
    /// In a write-only batch: writes the resource read as <paramref name="read"/> unchanged but for its version (a resource
    /// with no times: a profile, an application), so a batch that changes it or deletes it from an earlier read is a
    /// conflict. What hangs off a resource (a number on a profile) touches it: a delete that counted what hangs off it
    /// either commits first, and the assignment's plan finds it gone, or is planned again and counts the assignment.
    /// </summary>
    public static void Touch(WorkBatch batch, string kind, StoredResource read) =>
        Update(batch, kind, read, read.Body, new ResourceColumns(read.Lookup, read.Owner, read.ConnectionId, read.Name));

    /// <summary>In a write-only batch: replaces the resource read as <paramref name="read"/>, refused (a conflict) if it changed since.</summary>
    public static void Update(WorkBatch batch, string kind, StoredResource read, string body, ResourceColumns columns) =>
        batch.PutDocument(new DocumentPut(kind, read.Id, body, columns.ToDocument(), read.Version));

    /// <summary>
    /// Deletes up to <paramref name="maxItems"/> resources of <paramref name="kind"/> that finished before
    /// <paramref name="finishedBefore"/>, oldest first, in one batch; returns how many. Unfinished ones are never touched.
    /// </summary>
    public static async Task<int> PruneFinishedAsync(IWorkStore store, string kind, DateTimeOffset finishedBefore, int maxItems, CancellationToken cancellationToken)
    {
        var deleted = 0;
        await store.CommitAsync(new WorkBatch().PruneDocuments(kind, finishedBefore, maxItems, count => deleted = count), cancellationToken);
        return deleted;
    }

    /// <summary>
    /// A page of one kind, newest first, with the total. Filters: <paramref name="owner"/>, <paramref name="connectionId"/>
    /// and <paramref name="name"/> exactly; <paramref name="nameContains"/> and <paramref name="lookupContains"/> as
    /// substrings; and <paramref name="filter"/>'s.
    /// </summary>
    public static async ValueTask<(IReadOnlyList<StoredResource> Items, long Total)> ListAsync(
        IWorkReader reader, string kind, int pageNumber, int pageSize,
        string? owner = null, string? connectionId = null, string? name = null, string? nameContains = null, string? lookupContains = null,
        ResourceFilter? filter = null)
    {
        var query = new DocumentQuery
        {
            PageNumber = pageNumber,
            PageSize = pageSize,
            Owner = owner,
            Link = connectionId,
            Name = name,
            NameContains = nameContains,
            LookupContains = lookupContains,
        };
        if (filter is not null)
        {
            query = query with
            {
                BodyEquals = filter.BodyEquals,
                Created = filter.Created.ToDocument(),
                Started = filter.Started.ToDocument(),
                Finished = filter.Finished.ToDocument(),
                Lookups = filter.Lookups,
                LookupAscending = filter.LookupAscending,
            };
        }

        var page = await reader.ListDocumentsAsync(kind, query);
        return ([.. page.Items.Select(StoredResource.From)], page.Total);
    }

    /// <summary>Which of <paramref name="lookups"/> resources of <paramref name="kind"/> have (say, the numbers on the account).</summary>
    public static ValueTask<IReadOnlySet<string>> ExistingLookupsAsync(IWorkReader reader, string kind, IReadOnlyList<string> lookups) =>
        reader.ExistingLookupsAsync(kind, lookups);

    public static async ValueTask<string?> GetSettingAsync(IWorkReader reader, string name) => (await reader.GetDocumentAsync(SettingKind, name))?.Body;

    /// <summary>Sets a setting; planned again if another process set it meanwhile.</summary>
    public static Task SetSettingAsync(IWorkStore store, string name, string value, CancellationToken cancellationToken) =>
        PlanAsync(store, async (reader, batch) =>
        {
            var read = await reader.GetDocumentAsync(SettingKind, name);
            batch.PutDocument(read is null ? DocumentPut.Create(SettingKind, name, value) : DocumentPut.Replace(read, value, default));
            return true;
        }, cancellationToken);
}
