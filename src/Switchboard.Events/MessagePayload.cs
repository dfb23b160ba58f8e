namespace Switchboard.Events;

/// <summary>
/// Payload of the five <c>message.*</c> events (<c>record_type: "message"</c>). The outcome per recipient is
/// in <see cref="To"/>'s <see cref="MessageAddress.Status"/>.
/// </summary>
public sealed class MessagePayload : ExtensibleObject
{
    public string? Id { get; set; }
    public string RecordType { get; set; } = "message";
    /// <summary><c>outbound</c> or <c>inbound</c>.</summary>
    public string? Direction { get; set; }
    /// <summary><c>SMS</c> or <c>MMS</c>.</summary>
    public string? Type { get; set; }
    public MessageAddress? From { get; set; }
    public IList<MessageAddress>? To { get; set; }
    public IList<MessageAddress>? Cc { get; set; }
    public string? Text { get; set; }
    public string? Subject { get; set; }
    public IList<MessageMedia>? Media { get; set; }
    public string? MessagingProfileId { get; set; }
    public string? OrganizationId { get; set; }
    public int? Parts { get; set; }
    public string? Encoding { get; set; }
    public int? NumChars { get; set; }
    public MessageCost? Cost { get; set; }
    public IList<MessageError>? Errors { get; set; }
    public DateTimeOffset? ReceivedAt { get; set; }
    public DateTimeOffset? SentAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
    public DateTimeOffset? ValidUntil { get; set; }
    public string? WebhookUrl { get; set; }
    public string? WebhookFailoverUrl { get; set; }
    public IList<string>? Tags { get; set; }
}

/// <summary>A sender or recipient. <see cref="Status"/> is set on recipients only.</summary>
public sealed class MessageAddress : ExtensibleObject
{
    public string? PhoneNumber { get; set; }
    /// <summary>One of <see cref="MessageStatuses"/>.</summary>
    public string? Status { get; set; }
    public string? Carrier { get; set; }
    public string? LineType { get; set; }
}

public sealed class MessageMedia : ExtensibleObject
{
    public string? Url { get; set; }
    public string? ContentType { get; set; }
    public string? Sha256 { get; set; }
    public long? Size { get; set; }
}

public sealed class MessageCost : ExtensibleObject
{
    /// <summary>A decimal string, as Telnyx sends it (<c>"0.0040"</c>), so no precision is lost.</summary>
    public string? Amount { get; set; }
    public string? Currency { get; set; }
}

public sealed class MessageError : ExtensibleObject
{
    public string? Code { get; set; }
    public string? Title { get; set; }
    public string? Detail { get; set; }
}

/// <summary>Values of <c>to[].status</c>.</summary>
public static class MessageStatuses
{
    public const string Queued = "queued";
    public const string Sending = "sending";
    public const string Sent = "sent";
    public const string Delivered = "delivered";
    public const string SendingFailed = "sending_failed";
    public const string DeliveryFailed = "delivery_failed";
    public const string DeliveryUnconfirmed = "delivery_unconfirmed";
}
