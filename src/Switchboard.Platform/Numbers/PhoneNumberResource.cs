using System.Text.Json.Serialization;

namespace Switchboard.Platform.Numbers;

/// <summary>
/// A number of the account in Telnyx's shape (<c>record_type: "phone_number"</c>). Ordered numbers are active at once;
/// <see cref="MessagingProfileId"/> decides where its messages' webhooks go, <see cref="ConnectionId"/> its calls'.
/// </summary>
public sealed class PhoneNumberResource
{
    public required string Id { get; set; }
    public string RecordType { get; set; } = "phone_number";
    public required string PhoneNumber { get; set; }
    public string Status { get; set; } = "active";
    public string PhoneNumberType { get; set; } = "local";
    public string CountryIsoAlpha2 { get; set; } = "US";
    public IList<string> Tags { get; set; } = [];
    public string? MessagingProfileId { get; set; }
    public string? MessagingProfileName { get; set; }
    public string? ConnectionId { get; set; }
    public string? ConnectionName { get; set; }
    public string? CustomerReference { get; set; }
    public string? BillingGroupId { get; set; }
    public string? ExternalPin { get; set; }
    public bool DeletionLockEnabled { get; set; }
    public bool EmergencyEnabled { get; set; }
    public bool CallForwardingEnabled { get; set; } = true;
    public bool CnamListingEnabled { get; set; }
    public bool CallerIdNameEnabled { get; set; }
    public bool CallRecordingEnabled { get; set; }
    public DateTimeOffset PurchasedAt { get; set; }
    public DateTimeOffset? ActivatedAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>
/// A number as <c>DELETE /phone_numbers/{id}</c> answers it (the spec's <c>PhoneNumberDeletedDetailed</c>): the same fields,
/// but that schema types the optional strings as plain strings, so those not set are left out rather than null.
/// </summary>
public sealed class DeletedPhoneNumber
{
    private DeletedPhoneNumber(PhoneNumberResource number) => Number = number;

    [JsonIgnore]
    internal PhoneNumberResource Number { get; }

    public string Id => Number.Id;
    public string RecordType => Number.RecordType;
    public string PhoneNumber => Number.PhoneNumber;
    public string Status => "deleted";
    public string PhoneNumberType => Number.PhoneNumberType;
    public IList<string> Tags => Number.Tags;
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? MessagingProfileId => Number.MessagingProfileId;
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? MessagingProfileName => Number.MessagingProfileName;
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ConnectionId => Number.ConnectionId;
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ConnectionName => Number.ConnectionName;
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CustomerReference => Number.CustomerReference;
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? BillingGroupId => Number.BillingGroupId;
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ExternalPin => Number.ExternalPin;
    public bool DeletionLockEnabled => Number.DeletionLockEnabled;
    public bool EmergencyEnabled => Number.EmergencyEnabled;
    public bool CallForwardingEnabled => Number.CallForwardingEnabled;
    public bool CnamListingEnabled => Number.CnamListingEnabled;
    public bool CallerIdNameEnabled => Number.CallerIdNameEnabled;
    public bool CallRecordingEnabled => Number.CallRecordingEnabled;
    public DateTimeOffset PurchasedAt => Number.PurchasedAt;
    public DateTimeOffset? ActivatedAt => Number.ActivatedAt;
    public DateTimeOffset CreatedAt => Number.CreatedAt;
    public DateTimeOffset UpdatedAt => Number.UpdatedAt;

    public static DeletedPhoneNumber From(PhoneNumberResource number) => new(number);
}

/// <summary>
/// A number's messaging settings (<c>PhoneNumberWithMessagingSettings</c>, <c>record_type: "messaging_settings"</c>): the one
/// shape of <c>/phone_numbers/{id}/messaging</c>, <c>/phone_numbers/messaging</c> and <c>/messaging_profiles/{id}/phone_numbers</c>.
/// </summary>
public sealed record PhoneNumberMessagingSettings(
    string Id,
    string PhoneNumber,
    string? MessagingProfileId,
    string CountryCode,
    string Type,
    IList<string> Tags,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public string RecordType => "messaging_settings";
    public string MessagingProduct => "P2P";
    public IList<string> EligibleMessagingProducts => ["P2P"];
    public string TrafficType => "P2P";
    public string OrganizationId => PlatformIdentity.OrganizationId;

    /// <summary>What the emulator sends: SMS anywhere its profile allows, MMS at home.</summary>
    public MessagingFeatures Features => new(new MessagingFeatureSet(true, true, true), new MessagingFeatureSet(true, false, false));

    /// <summary>Telnyx's types: <c>long-code</c>, <c>toll-free</c> (and short codes, which the emulator has none of).</summary>
    public static string TypeOf(PhoneNumberResource number) => number.PhoneNumberType == "toll_free" ? "toll-free" : "long-code";

    public static PhoneNumberMessagingSettings From(PhoneNumberResource number) =>
        new(number.Id, number.PhoneNumber, number.MessagingProfileId, number.CountryIsoAlpha2, TypeOf(number), number.Tags, number.CreatedAt, number.UpdatedAt);
}

public sealed record MessagingFeatures(MessagingFeatureSet Sms, MessagingFeatureSet Mms);

public sealed record MessagingFeatureSet(bool DomesticTwoWay, bool InternationalInbound, bool InternationalOutbound);

/// <summary>
/// A number order (<c>record_type: "number_order"</c>); the emulator fills every order at once (<c>status: "success"</c>).
/// The optional strings the spec types as plain strings are left out when not given.
/// </summary>
public abstract class NumberOrderFields
{
    public required string Id { get; set; }
    public string RecordType { get; set; } = "number_order";
    public string Status { get; set; } = "success";
    public int PhoneNumbersCount { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? MessagingProfileId { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ConnectionId { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? BillingGroupId { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CustomerReference { get; set; }
    public bool RequirementsMet { get; set; } = true;
    public IList<string> SubNumberOrdersIds { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    protected void CopyTo(NumberOrderFields other)
    {
        other.RecordType = RecordType;
        other.Status = Status;
        other.PhoneNumbersCount = PhoneNumbersCount;
        other.MessagingProfileId = MessagingProfileId;
        other.ConnectionId = ConnectionId;
        other.BillingGroupId = BillingGroupId;
        other.CustomerReference = CustomerReference;
        other.RequirementsMet = RequirementsMet;
        other.SubNumberOrdersIds = SubNumberOrdersIds;
        other.CreatedAt = CreatedAt;
        other.UpdatedAt = UpdatedAt;
    }
}

/// <summary>A number order as <c>POST</c> and <c>GET /number_orders/{id}</c> answer it (<c>NumberOrderWithPhoneNumbers</c>).</summary>
public sealed class NumberOrderResource : NumberOrderFields
{
    public required IList<NumberOrderPhoneNumber> PhoneNumbers { get; set; }

    /// <summary>The order as <c>GET /number_orders</c> lists it (<c>NumberOrder</c>): each number's own id and the number.</summary>
    public NumberOrderListItem ToListItem(IList<string> phoneNumberIds)
    {
        var item = new NumberOrderListItem { Id = Id, PhoneNumbers = [.. PhoneNumbers.Select((line, i) => new OrderedPhoneNumber(phoneNumberIds[i], line.PhoneNumber))] };
        CopyTo(item);
        return item;
    }
}

/// <summary>An item of <c>GET /number_orders</c> (the spec's <c>NumberOrder</c>, whose numbers are <c>PhoneNumbersJobPhoneNumber</c>).</summary>
public sealed class NumberOrderListItem : NumberOrderFields
{
    public required IList<OrderedPhoneNumber> PhoneNumbers { get; set; }
}

/// <summary>A number of a listed order: the phone number's id (as <c>/phone_numbers/{id}</c> takes it) and the number.</summary>
public sealed record OrderedPhoneNumber(string Id, string PhoneNumber);

/// <summary>A line of an order (<c>record_type: "number_order_phone_number"</c>): <see cref="Id"/> is the line's own UUID, not the number's.</summary>
public sealed record NumberOrderPhoneNumber(string Id, string PhoneNumber, string CountryIsoAlpha2, string PhoneNumberType)
{
    public string RecordType => "number_order_phone_number";
    public string CountryCode => CountryIsoAlpha2;
    public string Status => "success";
    public bool RequirementsMet => true;
    public string RequirementsStatus => "approved";
    public IList<string> RegulatoryRequirements => [];
}

/// <summary>A number order as stored: the order, and the ids of the numbers it made, in the order of its lines.</summary>
public sealed record StoredNumberOrder(NumberOrderResource Order, IList<string> PhoneNumberIds);
