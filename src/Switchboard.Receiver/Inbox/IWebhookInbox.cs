namespace Switchboard.Receiver.Inbox;

/// <summary>
/// The durable store of received webhooks. <see cref="AcceptAsync"/> returns only once the webhook (and the
/// work of running its handlers) is durable; the unique key on the event id decides what is a duplicate.
/// </summary>
internal interface IWebhookInbox
{
    /// <summary>Stores the webhook; throws if it could not (the endpoint answers 503, so the sender tries again).</summary>
    ValueTask<InboxWriteOutcome> AcceptAsync(ReceivedWebhook webhook, CancellationToken cancellationToken);

    /// <summary>Keeps a request that failed verification or parsing, for inspection. It is never handled. Never throws: a record that cannot be written is reported, not raised.</summary>
    ValueTask RecordRejectedAsync(ReceivedWebhook webhook, int status, string reason, string detail, CancellationToken cancellationToken);
}

internal enum InboxWriteOutcome
{
    Stored,
    Duplicate,
}

/// <summary>One request as it arrived, with what verification said of it.</summary>
internal sealed record ReceivedWebhook
{
    /// <summary><c>data.id</c>; null when the body could not be parsed.</summary>
    public string? EventId { get; init; }
    public string? EventType { get; init; }
    public DateTimeOffset? OccurredAt { get; init; }
    public required DateTimeOffset ReceivedAt { get; init; }
    public required ReadOnlyMemory<byte> Body { get; init; }
    /// <summary>The whole body's length when <see cref="Body"/> does not hold it all (a request turned away unread: its Content-Length, if any).</summary>
    public long? BodyLength { get; init; }
    public required IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; }
    /// <summary><c>valid</c>, <c>unverified</c> (accept-unsigned mode) or a failure code such as <c>signature_mismatch</c>.</summary>
    public required string Verification { get; init; }
    public string? VerificationDetail { get; init; }
    public bool Verified => Verification == "valid";
    public string? RemoteAddress { get; init; }
}
