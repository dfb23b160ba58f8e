using System.Text.Json;
using Switchboard.DurableWork;
using Switchboard.Platform.Api;
using Switchboard.Platform.Storage;
using Switchboard.Platform.Webhooks;

namespace Switchboard.Platform.Calls;

/// <summary>Call Control applications: create, read, list, update, delete, with Telnyx's validation (the API and the dashboard share it).</summary>
public sealed class CallControlApplications(IWorkStore store, TimeProvider time)
{
    public async Task<CallControlApplicationResource> CreateAsync(JsonBody body, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var application = new CallControlApplicationResource { Id = PlatformIdentity.NewNumberId(), ApplicationName = "", CreatedAt = now, UpdatedAt = now };
        Parse(body, creating: true)(application);
        await Resources.CreateAsync(store, ResourceKinds.CallControlApplication, application.Id, Serialize(application), now,
            new ResourceColumns(Name: application.ApplicationName), cancellationToken);
        return application;
    }

    public async Task<CallControlApplicationResource> GetAsync(string id, CancellationToken cancellationToken = default) =>
        await store.ReadAsync(reader => FindAsync(reader, id), cancellationToken) ?? throw ApiErrors.NotFound("call control application", id);

    public Task<(IReadOnlyList<CallControlApplicationResource> Applications, long Total)> ListAsync(
        int pageNumber, int pageSize, string? nameContains = null, CancellationToken cancellationToken = default) =>
        store.ReadAsync(async reader =>
        {
            var (items, total) = await Resources.ListAsync(reader, ResourceKinds.CallControlApplication, pageNumber, pageSize, nameContains: nameContains);
            return ((IReadOnlyList<CallControlApplicationResource>)[.. items.Select(i => Deserialize(i.Body))], total);
        }, cancellationToken);

    public Task<CallControlApplicationResource> UpdateAsync(string id, JsonBody body, CancellationToken cancellationToken = default)
    {
        var apply = Parse(body, creating: false);
        return Resources.PlanAsync(store, async (reader, batch) =>
        {
            var read = await Resources.GetAsync(reader, ResourceKinds.CallControlApplication, id) ?? throw ApiErrors.NotFound("call control application", id);
            var application = Deserialize(read.Body);
            apply(application);
            application.UpdatedAt = time.GetUtcNow();
            Resources.Update(batch, ResourceKinds.CallControlApplication, read, Serialize(application), new ResourceColumns(Name: application.ApplicationName));
            return application;
        }, cancellationToken);
    }

    /// <summary>Deletes an application no number uses (Telnyx answers with its last configuration).</summary>
    public Task<CallControlApplicationResource> DeleteAsync(string id, CancellationToken cancellationToken = default) =>
        Resources.PlanAsync(store, async (reader, batch) =>
        {
            var read = await Resources.GetAsync(reader, ResourceKinds.CallControlApplication, id) ?? throw ApiErrors.NotFound("call control application", id);
            var numbers = await Resources.CountOwnedAsync(reader, ResourceKinds.PhoneNumber, id);
            if (numbers > 0)
            {
                throw new ApiException(422, new ApiError(ApiErrors.InUseCode, "Resource in use",
                    $"call control application '{id}' still has {numbers} phone number(s); move them to another connection or clear their connection_id first"));
            }

            Resources.Delete(batch, ResourceKinds.CallControlApplication, read);
            return Deserialize(read.Body);
        }, cancellationToken);

    internal static async ValueTask<CallControlApplicationResource?> FindAsync(IWorkReader reader, string id) =>
        await Resources.GetAsync(reader, ResourceKinds.CallControlApplication, id) is { } stored ? Deserialize(stored.Body) : null;

    /// <summary>Reads the fields present (PATCH semantics; on create <c>application_name</c> and <c>webhook_event_url</c> are required) and refuses the request if any is wrong.</summary>
    private static Action<CallControlApplicationResource> Parse(JsonBody body, bool creating)
    {
        var changes = new List<Action<CallControlApplicationResource>>();
        if (body.String("application_name", required: creating, maxLength: 255) is { } name)
        {
            changes.Add(a => a.ApplicationName = name);
        }

        if (body.Has("webhook_event_url") || creating)
        {
            if (WebhookUrls.Read(body, "webhook_event_url") is { } url)
            {
                changes.Add(a => a.WebhookEventUrl = url);
            }
            else if (body.Errors.All(e => e.Source?.Pointer != body.Pointer("webhook_event_url")))
            {
                body.Add(ApiErrors.Missing(body.Pointer("webhook_event_url")));
            }
        }

        if (body.Has("webhook_event_failover_url"))
        {
            var failover = WebhookUrls.Read(body, "webhook_event_failover_url");
            changes.Add(a => a.WebhookEventFailoverUrl = failover);
        }

        if (body.String("webhook_api_version", maxLength: 4) is { } version)
        {
            if (version is not ("1" or "2"))
            {
                body.Add(ApiErrors.Invalid(body.Pointer("webhook_api_version"), "webhook_api_version must be 1 or 2"));
            }

            changes.Add(a => a.WebhookApiVersion = version);
        }

        if (body.Has("webhook_timeout_secs"))
        {
            var timeout = body.Int("webhook_timeout_secs", 1, 30);
            changes.Add(a => a.WebhookTimeoutSecs = timeout);
        }

        if (body.Bool("active") is { } active)
        {
            changes.Add(a => a.Active = active);
        }

        if (body.String("anchorsite_override", maxLength: 64) is { } anchorsite)
        {
            changes.Add(a => a.AnchorsiteOverride = anchorsite);
        }

        if (body.String("dtmf_type", maxLength: 16) is { } dtmf)
        {
            changes.Add(a => a.DtmfType = dtmf);
        }

        if (body.Bool("first_command_timeout") is { } firstCommandTimeout)
        {
            changes.Add(a => a.FirstCommandTimeout = firstCommandTimeout);
        }

        if (body.Int("first_command_timeout_secs", 10, 300) is { } firstCommandTimeoutSecs)
        {
            changes.Add(a => a.FirstCommandTimeoutSecs = firstCommandTimeoutSecs);
        }

        if (body.Strings("tags", maxItems: 20, maxLength: 64) is { } tags)
        {
            changes.Add(a => a.Tags = [.. tags]);
        }

        body.ThrowIfInvalid();
        return application => changes.ForEach(change => change(application));
    }

    internal static string Serialize(CallControlApplicationResource application) =>
        JsonSerializer.Serialize(application, PlatformJson.Default.CallControlApplicationResource);

    internal static CallControlApplicationResource Deserialize(string json) =>
        JsonSerializer.Deserialize(json, PlatformJson.Default.CallControlApplicationResource) ?? throw new InvalidDataException("a stored application is empty");
}
