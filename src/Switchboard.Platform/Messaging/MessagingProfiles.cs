using System.Text.Json;
using Switchboard.DurableWork;
using Switchboard.Events;
using Switchboard.Platform.Api;
using Switchboard.Platform.Storage;
using Switchboard.Platform.Webhooks;

namespace Switchboard.Platform.Messaging;

/// <summary>
/// Messaging profiles: create, read, list, update, delete, with Telnyx's validation. The API and the dashboard both
/// come through here, so both refuse the same input the same way.
/// </summary>
public sealed class MessagingProfiles(IWorkStore store, TimeProvider time)
{
    private static readonly string[] WebhookApiVersions = ["1", "2", "2010-04-01"];
    private static readonly string[] MessageEventTypes =
        [EventTypes.MessageSent, EventTypes.MessageDelivered, EventTypes.MessageFailed, EventTypes.MessageFinalized, EventTypes.MessageReceived];

    public async Task<MessagingProfileResource> CreateAsync(JsonBody body, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var profile = new MessagingProfileResource { Id = PlatformIdentity.NewId(), Name = "", CreatedAt = now, UpdatedAt = now };
        Parse(body, creating: true)(profile);
        await Resources.CreateAsync(store, ResourceKinds.MessagingProfile, profile.Id, Serialize(profile), now, new ResourceColumns(Name: profile.Name), cancellationToken);
        return profile;
    }

    public async Task<MessagingProfileResource> GetAsync(string id, CancellationToken cancellationToken = default) =>
        await store.ReadAsync(reader => FindAsync(reader, id), cancellationToken) ?? throw ApiErrors.NotFound("messaging profile", id);

    public Task<(IReadOnlyList<MessagingProfileResource> Profiles, long Total)> ListAsync(
        int pageNumber, int pageSize, string? name = null, string? nameContains = null, CancellationToken cancellationToken = default) =>
        store.ReadAsync(async reader =>
        {
            var (items, total) = await Resources.ListAsync(reader, ResourceKinds.MessagingProfile, pageNumber, pageSize, name: name, nameContains: nameContains);
            return ((IReadOnlyList<MessagingProfileResource>)[.. items.Select(i => Deserialize(i.Body))], total);
        }, cancellationToken);

    public Task<MessagingProfileResource> UpdateAsync(string id, JsonBody body, CancellationToken cancellationToken = default)
    {
        var apply = Parse(body, creating: false);
        return Resources.PlanAsync(store, async (reader, batch) =>
        {
            var read = await Resources.GetAsync(reader, ResourceKinds.MessagingProfile, id) ?? throw ApiErrors.NotFound("messaging profile", id);
            var profile = Deserialize(read.Body);
            apply(profile);
            profile.UpdatedAt = time.GetUtcNow();
            Resources.Update(batch, ResourceKinds.MessagingProfile, read, Serialize(profile), new ResourceColumns(Name: profile.Name));
            return profile;
        }, cancellationToken);
    }

    /// <summary>Deletes a profile no number uses (Telnyx answers with the profile's final configuration).</summary>
    public Task<MessagingProfileResource> DeleteAsync(string id, CancellationToken cancellationToken = default) =>
        Resources.PlanAsync(store, async (reader, batch) =>
        {
            var read = await Resources.GetAsync(reader, ResourceKinds.MessagingProfile, id) ?? throw ApiErrors.NotFound("messaging profile", id);
            var numbers = await Resources.CountOwnedAsync(reader, ResourceKinds.PhoneNumber, id);
            if (numbers > 0)
            {
                throw new ApiException(422, new ApiError(ApiErrors.InUseCode, "Resource in use",
                    $"messaging profile '{id}' still has {numbers} phone number(s); move them to another profile or clear their messaging_profile_id first"));
            }

            Resources.Delete(batch, ResourceKinds.MessagingProfile, read);
            return Deserialize(read.Body);
        }, cancellationToken);

    internal static async ValueTask<MessagingProfileResource?> FindAsync(IWorkReader reader, string id) =>
        await Resources.GetAsync(reader, ResourceKinds.MessagingProfile, id) is { } stored ? Deserialize(stored.Body) : null;

    /// <summary>
    /// Reads the fields present in the body (PATCH semantics; on create the required ones must be there) and refuses the
    /// request if any is wrong. Returns what applies them to a profile: it runs inside the update's plan, which may
    /// run again (see <see cref="WorkPlans.PlanAndCommitAsync{T}"/>), so all checking happens here, once.
    /// </summary>
    private static Action<MessagingProfileResource> Parse(JsonBody body, bool creating)
    {
        var changes = new List<Action<MessagingProfileResource>>();
        if (body.String("name", required: creating, maxLength: 255) is { } name)
        {
            changes.Add(p => p.Name = name);
        }
        else if (!creating && body.IsNull("name"))
        {
            body.Add(ApiErrors.Invalid(body.Pointer("name"), "name cannot be null"));
        }

        if (body.Has("whitelisted_destinations") || creating)
        {
            if (body.Strings("whitelisted_destinations", maxItems: 300, maxLength: 2) is { } destinations)
            {
                var bad = destinations.Select((d, i) => (d, i)).FirstOrDefault(x => !(x.d == "*" || (x.d.Length == 2 && x.d.All(char.IsAsciiLetterUpper))));
                if (bad.d is not null)
                {
                    body.Add(ApiErrors.Invalid($"{body.Pointer("whitelisted_destinations")}/{bad.i}", $"'{ApiErrors.Printable(bad.d)}' is not an ISO 3166-1 alpha-2 country code (such as US) or \"*\""));
                }

                changes.Add(p => p.WhitelistedDestinations = [.. destinations]);
            }
            else if (!body.Has("whitelisted_destinations") || body.IsNull("whitelisted_destinations"))
            {
                body.Add(ApiErrors.Missing(body.Pointer("whitelisted_destinations")));
            }
        }

        if (body.Bool("enabled") is { } enabled)
        {
            changes.Add(p => p.Enabled = enabled);
        }

        if (body.Has("webhook_url"))
        {
            var url = WebhookUrls.Read(body, "webhook_url");
            changes.Add(p => p.WebhookUrl = url);
        }

        if (body.Has("webhook_failover_url"))
        {
            var url = WebhookUrls.Read(body, "webhook_failover_url");
            changes.Add(p => p.WebhookFailoverUrl = url);
        }

        if (body.String("webhook_api_version", maxLength: 16) is { } version)
        {
            if (!WebhookApiVersions.Contains(version))
            {
                body.Add(ApiErrors.Invalid(body.Pointer("webhook_api_version"), $"webhook_api_version must be one of {string.Join(", ", WebhookApiVersions)}"));
            }

            changes.Add(p => p.WebhookApiVersion = version);
        }

        if (body.Has("alpha_sender"))
        {
            var sender = body.String("alpha_sender", maxLength: 11);
            changes.Add(p => p.AlphaSender = sender);
        }

        if (body.String("daily_spend_limit", maxLength: 32) is { } limit)
        {
            changes.Add(p => p.DailySpendLimit = limit);
        }

        Flag("daily_spend_limit_enabled", (p, v) => p.DailySpendLimitEnabled = v);
        Flag("mms_fall_back_to_sms", (p, v) => p.MmsFallBackToSms = v);
        Flag("mms_transcoding", (p, v) => p.MmsTranscoding = v);
        Flag("mobile_only", (p, v) => p.MobileOnly = v);
        Flag("smart_encoding", (p, v) => p.SmartEncoding = v);
        if (body.Has("switchboard_event_types"))
        {
            var types = body.Strings("switchboard_event_types", maxItems: MessageEventTypes.Length);
            var unknown = types?.FirstOrDefault(t => !MessageEventTypes.Contains(t));
            if (unknown is not null)
            {
                body.Add(ApiErrors.Invalid(body.Pointer("switchboard_event_types"),
                    $"'{ApiErrors.Printable(unknown)}' is not a message event type; use any of {string.Join(", ", MessageEventTypes)}, or null for all"));
            }

            changes.Add(p => p.SwitchboardEventTypes = types is null ? null : [.. types.Distinct()]);
        }

        body.ThrowIfInvalid();
        return profile => changes.ForEach(change => change(profile));

        void Flag(string field, Action<MessagingProfileResource, bool> set)
        {
            if (body.Bool(field) is { } value)
            {
                changes.Add(p => set(p, value));
            }
        }
    }

    internal static string Serialize(MessagingProfileResource profile) => JsonSerializer.Serialize(profile, PlatformJson.Default.MessagingProfileResource);

    internal static MessagingProfileResource Deserialize(string json) =>
        JsonSerializer.Deserialize(json, PlatformJson.Default.MessagingProfileResource) ?? throw new InvalidDataException("a stored messaging profile is empty");
}
