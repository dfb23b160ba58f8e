namespace Switchboard.Platform.Messaging;

/// <summary>
/// A messaging profile in Telnyx's shape (<c>record_type: "messaging_profile"</c>): the settings a profile's numbers
/// send with, its webhook URLs among them. Fields the emulator does not act on are kept and returned as given.
/// </summary>
public sealed class MessagingProfileResource
{
    public required string Id { get; set; }
    public string RecordType { get; set; } = "messaging_profile";
    public required string Name { get; set; }
    public bool Enabled { get; set; } = true;
    public string? WebhookUrl { get; set; }
    public string? WebhookFailoverUrl { get; set; }
    public string WebhookApiVersion { get; set; } = "2";
    public IList<string> WhitelistedDestinations { get; set; } = [];
    public string? AlphaSender { get; set; }
    public string DailySpendLimit { get; set; } = "0.00";
    public bool DailySpendLimitEnabled { get; set; }
    public bool MmsFallBackToSms { get; set; }
    public bool MmsTranscoding { get; set; }
    public bool MobileOnly { get; set; }
    public bool SmartEncoding { get; set; }
    public object? NumberPoolSettings { get; set; }
    public object? UrlShortenerSettings { get; set; }
    public string? HealthWebhookUrl { get; set; }
    public string OrganizationId { get; set; } = PlatformIdentity.OrganizationId;
    public string V1Secret { get; set; } = "";

    /// <summary>
    /// Switchboard's own field (not Telnyx's): the message event types this profile's URLs get. Null, the default: all of
    /// them. <c>["message.sent", "message.finalized", "message.received"]</c> gives exactly what real Telnyx sends.
    /// </summary>
    public IList<string>? SwitchboardEventTypes { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Whether this profile's URLs get <paramref name="eventType"/>.</summary>
    public bool Sends(string eventType) => SwitchboardEventTypes is null || SwitchboardEventTypes.Contains(eventType);
}
