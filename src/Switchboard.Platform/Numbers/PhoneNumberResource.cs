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

/// <summary>A number's messaging settings (<c>record_type: "messaging_settings"</c>), as <c>/phone_numbers/{id}/messaging</c> answers.</summary>
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

    public static PhoneNumberMessagingSettings From(PhoneNumberResource number) =>
        new(number.Id, number.PhoneNumber, number.MessagingProfileId, number.CountryIsoAlpha2, "long-code", number.Tags, number.CreatedAt, number.UpdatedAt);
}

/// <summary>A number order (<c>record_type: "number_order"</c>): the emulator fills every order at once (<c>status: "success"</c>).</summary>
public sealed class NumberOrderResource
{
    public required string Id { get; set; }
    public string RecordType { get; set; } = "number_order";
    public string Status { get; set; } = "success";
    public required IList<NumberOrderPhoneNumber> PhoneNumbers { get; set; }
    public int PhoneNumbersCount => PhoneNumbers.Count;
    public string? MessagingProfileId { get; set; }
    public string? ConnectionId { get; set; }
    public string? BillingGroupId { get; set; }
    public string? CustomerReference { get; set; }
    public bool RequirementsMet { get; set; } = true;
    public IList<string> SubNumberOrdersIds { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

public sealed record NumberOrderPhoneNumber(string Id, string PhoneNumber, string CountryIsoAlpha2)
{
    public string RecordType => "number_order_phone_number";
    public string Status => "success";
    public string PhoneNumberType => "local";
    public bool RequirementsMet => true;
    public string RequirementsStatus => "approved";
}
