using System.Text.Json;
using Switchboard.DurableWork;
using Switchboard.Platform.Api;
using Switchboard.Platform.Messaging;
using Switchboard.Platform.Storage;

namespace Switchboard.Platform.Numbers;

/// <summary>
/// The account's numbers: ordered with <c>POST /number_orders</c> (filled at once), read, listed, updated, and joined to a
/// messaging profile (where its messages' webhooks go) or a Call Control application (its calls'). A number is found by
/// its record id or by the number itself.
/// </summary>
public sealed class PhoneNumbers(IWorkStore store, TimeProvider time)
{
    public const int MaxPerOrder = 100;

    public async Task<NumberOrderResource> OrderAsync(JsonBody body, CancellationToken cancellationToken = default)
    {
        var entries = body.Objects("phone_numbers", MaxPerOrder, required: true) ?? [];
        var numbers = new List<string>();
        foreach (var entry in entries)
        {
            var number = entry.String("phone_number", required: true, maxLength: 16);
            if (number is null)
            {
                continue;
            }

            if (!E164.IsValid(number))
            {
                entry.Add(ApiErrors.NotE164(entry.Pointer("phone_number"), number));
            }
            else if (numbers.Contains(number))
            {
                entry.Add(ApiError.At(entry.Pointer("phone_number"), ApiErrors.DuplicateCode, "Duplicate resource", $"{number} is in the order twice"));
            }

            numbers.Add(number);
        }

        var profileId = body.String("messaging_profile_id", maxLength: 64);
        var connectionId = body.String("connection_id", maxLength: 64);
        var customerReference = body.String("customer_reference", maxLength: 255);
        var billingGroupId = body.String("billing_group_id", maxLength: 64);
        body.ThrowIfInvalid();

        var now = time.GetUtcNow();
        var order = new NumberOrderResource
        {
            Id = PlatformIdentity.NewId(),
            PhoneNumbers = [.. numbers.Select(n => new NumberOrderPhoneNumber(PlatformIdentity.NewId(), n, E164.Country(n), AvailableNumbers.TypeOf(n)))],
            PhoneNumbersCount = numbers.Count,
            MessagingProfileId = profileId,
            ConnectionId = connectionId,
            BillingGroupId = billingGroupId,
            CustomerReference = customerReference,
            CreatedAt = now,
            UpdatedAt = now,
        };
        var stored = new StoredNumberOrder(order, [.. numbers.Select(_ => PlatformIdentity.NewNumberId())]);
        // Two orders of one number: the second one's create is a conflict on the number's lookup, and planned again it finds
        // the number on the account.
        return await Resources.PlanAsync(store, async (reader, batch) =>
        {
            var profile = await FindProfileAsync(reader, batch, profileId, "/messaging_profile_id");
            await CheckConnectionAsync(reader, batch, connectionId, "/connection_id");
            for (var i = 0; i < order.PhoneNumbers.Count; i++)
            {
                var ordered = order.PhoneNumbers[i];
                if (await Resources.FindByLookupAsync(reader, ResourceKinds.PhoneNumber, ordered.PhoneNumber) is not null)
                {
                    throw new ApiException(422, ApiError.At($"/phone_numbers/{i}/phone_number", ApiErrors.DuplicateCode, "Duplicate resource",
                        $"{ordered.PhoneNumber} is on the account already"));
                }

                var number = new PhoneNumberResource
                {
                    Id = stored.PhoneNumberIds[i],
                    PhoneNumber = ordered.PhoneNumber,
                    CountryIsoAlpha2 = ordered.CountryIsoAlpha2,
                    PhoneNumberType = ordered.PhoneNumberType,
                    MessagingProfileId = profile?.Id,
                    MessagingProfileName = profile?.Name,
                    ConnectionId = connectionId,
                    BillingGroupId = billingGroupId,
                    CustomerReference = customerReference,
                    PurchasedAt = now,
                    ActivatedAt = now,
                    CreatedAt = now,
                    UpdatedAt = now,
                };
                Save(batch, number, read: null);
            }

            Resources.Insert(batch, ResourceKinds.NumberOrder, order.Id, JsonSerializer.Serialize(stored, PlatformJson.Default.StoredNumberOrder), now);
            return order;
        }, cancellationToken);
    }

    public async Task<NumberOrderResource> GetOrderAsync(string id, CancellationToken cancellationToken = default) =>
        (await store.ReadAsync(async reader => await Resources.GetAsync(reader, ResourceKinds.NumberOrder, id) is { } stored
            ? ReadOrder(stored.Body)
            : null, cancellationToken))?.Order ?? throw ApiErrors.NotFound("number order", id);

    /// <summary>
    /// <c>GET /number_orders</c>: a page of orders, newest first, filtered as the spec's <c>filter[...]</c> says (every
    /// order here is filled at once: <c>status</c> success, <c>requirements_met</c> true).
    /// </summary>
    internal Task<(IReadOnlyList<NumberOrderListItem> Orders, long Total)> ListOrdersAsync(
        int pageNumber, int pageSize, NumberOrderFilter filter, CancellationToken cancellationToken = default) =>
        store.ReadAsync(async reader =>
        {
            if ((filter.Status ?? "success") != "success" || filter.RequirementsMet == false)
            {
                return ((IReadOnlyList<NumberOrderListItem>)[], 0L);
            }

            var equals = new List<(string, string)>();
            if (filter.CustomerReference is { } reference)
            {
                equals.Add(ResourceFilter.Property("customer_reference", reference));
            }

            if (filter.PhoneNumbersCount is { } count)
            {
                equals.Add(ResourceFilter.Property("phone_numbers_count", count));
            }

            var (items, total) = await Resources.ListAsync(reader, ResourceKinds.NumberOrder, pageNumber, pageSize,
                filter: new ResourceFilter { BodyEquals = equals, Created = filter.Created });
            return ((IReadOnlyList<NumberOrderListItem>)[.. items.Select(i => ReadOrder(i.Body)).Select(o => o.Order.ToListItem(o.PhoneNumberIds))], total);
        }, cancellationToken);

    // Orders stored before their numbers' ids were kept beside them: their lines' ids were the numbers' ids.
    private static StoredNumberOrder ReadOrder(string json)
    {
        var stored = JsonSerializer.Deserialize(json, PlatformJson.Default.StoredNumberOrder);
        if (stored?.Order is not null)
        {
            return stored;
        }

        var order = JsonSerializer.Deserialize(json, PlatformJson.Default.NumberOrderResource) ?? throw new InvalidDataException("a stored number order is empty");
        order.PhoneNumbersCount = order.PhoneNumbers.Count;
        return new StoredNumberOrder(order, [.. order.PhoneNumbers.Select(line => line.Id)]);
    }

    public async Task<PhoneNumberResource> GetAsync(string idOrNumber, CancellationToken cancellationToken = default) =>
        await store.ReadAsync(reader => FindAsync(reader, idOrNumber), cancellationToken) ?? throw ApiErrors.NotFound("phone number", idOrNumber);

    /// <summary>A page of numbers, newest first; <paramref name="digits"/> matches numbers containing those digits (others ignored, as Telnyx does).</summary>
    public Task<(IReadOnlyList<PhoneNumberResource> Numbers, long Total)> ListAsync(
        int pageNumber, int pageSize, string? digits = null, string? messagingProfileId = null, string? connectionId = null, CancellationToken cancellationToken = default) =>
        ListAsync(pageNumber, pageSize, digits, messagingProfileId, connectionId, filter: null, cancellationToken);

    internal Task<(IReadOnlyList<PhoneNumberResource> Numbers, long Total)> ListAsync(
        int pageNumber, int pageSize, string? digits, string? messagingProfileId, string? connectionId, ResourceFilter? filter, CancellationToken cancellationToken)
    {
        var onlyDigits = digits is null ? null : new string([.. digits.Where(char.IsAsciiDigit)]);
        return store.ReadAsync(async reader =>
        {
            var (items, total) = await Resources.ListAsync(reader, ResourceKinds.PhoneNumber, pageNumber, pageSize,
                owner: messagingProfileId, connectionId: connectionId, lookupContains: string.IsNullOrEmpty(onlyDigits) ? null : onlyDigits, filter: filter);
            return ((IReadOnlyList<PhoneNumberResource>)[.. items.Select(i => Deserialize(i.Body))], total);
        }, cancellationToken);
    }

    /// <summary><c>PATCH /phone_numbers/{id}</c>: connection, tags, references; and the messaging profile (Switchboard accepts it here too).</summary>
    public Task<PhoneNumberResource> UpdateAsync(string idOrNumber, JsonBody body, CancellationToken cancellationToken = default) =>
        UpdateAsync(idOrNumber, body, ["connection_id", "customer_reference", "billing_group_id", "external_pin", "tags", "messaging_profile_id"], cancellationToken);

    /// <summary><c>PATCH /phone_numbers/{id}/messaging</c>: the messaging profile (null clears it) and tags.</summary>
    public Task<PhoneNumberResource> UpdateMessagingAsync(string idOrNumber, JsonBody body, CancellationToken cancellationToken = default) =>
        UpdateAsync(idOrNumber, body, ["messaging_profile_id", "tags"], cancellationToken);

    private Task<PhoneNumberResource> UpdateAsync(string idOrNumber, JsonBody body, string[] fields, CancellationToken cancellationToken)
    {
        var has = fields.Where(body.Has).ToHashSet();
        var profileId = body.String("messaging_profile_id", maxLength: 64);
        var connectionId = body.String("connection_id", maxLength: 64);
        var customerReference = body.String("customer_reference", maxLength: 255);
        var billingGroupId = body.String("billing_group_id", maxLength: 64);
        var externalPin = body.String("external_pin", maxLength: 32);
        var tags = body.Strings("tags", maxItems: 20, maxLength: 64);
        body.ThrowIfInvalid();
        return Resources.PlanAsync(store, async (reader, batch) =>
        {
            var read = await FindStoredAsync(reader, idOrNumber) ?? throw ApiErrors.NotFound("phone number", idOrNumber);
            var number = Deserialize(read.Body);
            if (has.Contains("messaging_profile_id"))
            {
                var profile = await FindProfileAsync(reader, batch, profileId, "/messaging_profile_id");
                number.MessagingProfileId = profile?.Id;
                number.MessagingProfileName = profile?.Name;
            }

            if (has.Contains("connection_id"))
            {
                await CheckConnectionAsync(reader, batch, connectionId, "/connection_id");
                number.ConnectionId = connectionId;
            }

            number.CustomerReference = has.Contains("customer_reference") ? customerReference : number.CustomerReference;
            number.BillingGroupId = has.Contains("billing_group_id") ? billingGroupId : number.BillingGroupId;
            number.ExternalPin = has.Contains("external_pin") ? externalPin : number.ExternalPin;
            number.Tags = has.Contains("tags") ? [.. tags ?? []] : number.Tags;
            number.UpdatedAt = time.GetUtcNow();
            Save(batch, number, read);
            return number;
        }, cancellationToken);
    }

    public async Task<PhoneNumberVoiceSettings> GetVoiceAsync(string idOrNumber, CancellationToken cancellationToken = default) =>
        await store.ReadAsync(async reader => await FindAsync(reader, idOrNumber) is { } number
            ? PhoneNumberVoiceSettings.From(number, await FindVoiceAsync(reader, number.Id))
            : null, cancellationToken) ?? throw ApiErrors.NotFound("phone number", idOrNumber);

    /// <summary><c>PATCH /phone_numbers/{id}/voice</c>: the settings the spec's request names; the others are kept.</summary>
    public Task<PhoneNumberVoiceSettings> UpdateVoiceAsync(string idOrNumber, JsonBody body, CancellationToken cancellationToken = default)
    {
        var apply = StoredVoiceSettings.Parse(body);
        return Resources.PlanAsync(store, async (reader, batch) =>
        {
            var read = await FindStoredAsync(reader, idOrNumber) ?? throw ApiErrors.NotFound("phone number", idOrNumber);
            var number = Deserialize(read.Body);
            var stored = await Resources.GetAsync(reader, ResourceKinds.NumberVoiceSettings, number.Id);
            var settings = stored is null ? new StoredVoiceSettings() : DeserializeVoice(stored.Body);
            apply(number, settings);
            number.UpdatedAt = time.GetUtcNow();
            Save(batch, number, read);
            var json = JsonSerializer.Serialize(settings, PlatformJson.Default.StoredVoiceSettings);
            if (stored is null)
            {
                Resources.Insert(batch, ResourceKinds.NumberVoiceSettings, number.Id, json, number.UpdatedAt);
            }
            else
            {
                Resources.Update(batch, ResourceKinds.NumberVoiceSettings, stored, json, default);
            }

            return PhoneNumberVoiceSettings.From(number, settings);
        }, cancellationToken);
    }

    private static async ValueTask<StoredVoiceSettings> FindVoiceAsync(IWorkReader reader, string numberId) =>
        await Resources.GetAsync(reader, ResourceKinds.NumberVoiceSettings, numberId) is { } stored ? DeserializeVoice(stored.Body) : new StoredVoiceSettings();

    private static StoredVoiceSettings DeserializeVoice(string json) =>
        JsonSerializer.Deserialize(json, PlatformJson.Default.StoredVoiceSettings) ?? throw new InvalidDataException("stored voice settings are empty");

    public Task<DeletedPhoneNumber> DeleteAsync(string idOrNumber, CancellationToken cancellationToken = default) =>
        Resources.PlanAsync(store, async (reader, batch) =>
        {
            var read = await FindStoredAsync(reader, idOrNumber) ?? throw ApiErrors.NotFound("phone number", idOrNumber);
            Resources.Delete(batch, ResourceKinds.PhoneNumber, read);
            if (await Resources.GetAsync(reader, ResourceKinds.NumberVoiceSettings, read.Id) is { } voice)
            {
                Resources.Delete(batch, ResourceKinds.NumberVoiceSettings, voice);
            }

            return DeletedPhoneNumber.From(Deserialize(read.Body));
        }, cancellationToken);

    internal static async ValueTask<PhoneNumberResource?> FindAsync(IWorkReader reader, string idOrNumber) =>
        await FindStoredAsync(reader, idOrNumber) is { } stored ? Deserialize(stored.Body) : null;

    /// <summary>A number by its id or by the number itself (<c>+...</c>), as stored (with its version, to change it).</summary>
    private static ValueTask<StoredResource?> FindStoredAsync(IWorkReader reader, string idOrNumber) =>
        idOrNumber.StartsWith('+')
            ? Resources.FindByLookupAsync(reader, ResourceKinds.PhoneNumber, idOrNumber)
            : Resources.GetAsync(reader, ResourceKinds.PhoneNumber, idOrNumber);

    // The profile and the application a number is put on are touched in its batch (see Resources.Touch): a delete that
    // counted their numbers from an earlier read, or one that committed since this read, makes one of the two a conflict.
    private static async ValueTask<MessagingProfileResource?> FindProfileAsync(IWorkReader reader, WorkBatch batch, string? profileId, string pointer)
    {
        if (profileId is null)
        {
            return null;
        }

        var read = await Resources.GetAsync(reader, ResourceKinds.MessagingProfile, profileId)
            ?? throw new ApiException(422, ApiErrors.NoSuchAssociated(pointer, "messaging profile", profileId));
        Resources.Touch(batch, ResourceKinds.MessagingProfile, read);
        return MessagingProfiles.Deserialize(read.Body);
    }

    private static async ValueTask CheckConnectionAsync(IWorkReader reader, WorkBatch batch, string? connectionId, string pointer)
    {
        if (connectionId is null)
        {
            return;
        }

        var read = await Resources.GetAsync(reader, ResourceKinds.CallControlApplication, connectionId)
            ?? throw new ApiException(422, ApiErrors.NoSuchAssociated(pointer, "connection (Call Control application)", connectionId));
        Resources.Touch(batch, ResourceKinds.CallControlApplication, read);
    }

    /// <summary>A new number (<paramref name="read"/> null) or the one read as <paramref name="read"/>, in <paramref name="batch"/>.</summary>
    private static void Save(WorkBatch batch, PhoneNumberResource number, StoredResource? read)
    {
        var json = JsonSerializer.Serialize(number, PlatformJson.Default.PhoneNumberResource);
        var columns = new ResourceColumns(Lookup: number.PhoneNumber, Owner: number.MessagingProfileId, ConnectionId: number.ConnectionId);
        if (read is null)
        {
            Resources.Insert(batch, ResourceKinds.PhoneNumber, number.Id, json, number.UpdatedAt, columns);
        }
        else
        {
            Resources.Update(batch, ResourceKinds.PhoneNumber, read, json, columns);
        }
    }

    internal static PhoneNumberResource Deserialize(string json) =>
        JsonSerializer.Deserialize(json, PlatformJson.Default.PhoneNumberResource) ?? throw new InvalidDataException("a stored phone number is empty");
}

/// <summary>The <c>filter[...]</c> of <c>GET /number_orders</c>; <see cref="Created"/> with both ends included.</summary>
internal sealed record NumberOrderFilter(string? Status, string? CustomerReference, int? PhoneNumbersCount, bool? RequirementsMet, TimeRange Created);
