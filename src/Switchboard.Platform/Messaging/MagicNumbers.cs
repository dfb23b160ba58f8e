using Switchboard.Events;

namespace Switchboard.Platform.Messaging;

/// <summary>What becomes of an outbound message: its final <c>to[].status</c> and errors.</summary>
public sealed record MessageOutcome(string Status, IReadOnlyList<MessageError> Errors)
{
    public bool IsSent => Status != MessageStatuses.SendingFailed;
}

/// <summary>
/// Destination numbers that decide a message's fate, so tests of a receiver can produce every outcome. They live in
/// the range 555-0100 to 555-0199 that North American numbering keeps for fiction: any number ending in
/// <c>5550101</c> ... <c>5550106</c> (for example <c>+13125550101</c>). Every other number is delivered. Error codes
/// and titles are Telnyx's messaging delivery errors (40xxx).
/// </summary>
public static class MagicNumbers
{
    /// <summary>The suffixes, in the order of the table in docs/platform.md.</summary>
    public static IReadOnlyList<(string Suffix, string Outcome)> Table { get; } =
    [
        ("5550100", "delivered (as any other number)"),
        ("5550101", "delivery_failed: 40001 Not routable"),
        ("5550102", "delivery_failed: 40008 Undeliverable"),
        ("5550103", "sending_failed: 40013 Invalid source number (no message.sent)"),
        ("5550104", "delivery_failed: 40002 Blocked as spam (temporary)"),
        ("5550105", "delivery_unconfirmed: no delivery receipt (message.finalized only)"),
        ("5550106", "delivery_failed: 40006 Recipient unavailable, one error per part"),
    ];

    public static MessageOutcome For(string to, int parts) => Suffix(to) switch
    {
        "5550101" => Failed(MessageStatuses.DeliveryFailed, Error("40001", "Not routable", "The destination is a landline or a number that cannot receive messages.")),
        "5550102" => Failed(MessageStatuses.DeliveryFailed, Error("40008", "Undeliverable", "The carrier did not accept the message.")),
        "5550103" => Failed(MessageStatuses.SendingFailed, Error("40013", "Invalid source number", "The carrier rejected the sending number.")),
        "5550104" => Failed(MessageStatuses.DeliveryFailed, Error("40002", "Blocked as spam (temporary)", "The carrier's spam filter blocked the message.")),
        "5550105" => new MessageOutcome(MessageStatuses.DeliveryUnconfirmed, []),
        "5550106" => new MessageOutcome(MessageStatuses.DeliveryFailed,
            [.. Enumerable.Range(1, parts).Select(p => Error("40006", "Recipient unavailable", $"Part {p} of {parts}: the recipient's carrier is not reachable."))]),
        _ => new MessageOutcome(MessageStatuses.Delivered, []),
    };

    private static string Suffix(string to) => to.Length >= 7 ? to[^7..] : "";

    private static MessageOutcome Failed(string status, MessageError error) => new(status, [error]);

    private static MessageError Error(string code, string title, string detail) => new() { Code = code, Title = title, Detail = detail };
}
