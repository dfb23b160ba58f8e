using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.DurableWork;
using Switchboard.Receiver.Storage;

namespace Switchboard.Receiver.Inbox;

/// <summary>
/// The inbox on the durable-work store: an accepted webhook is an item of the <c>inbox</c> queue keyed by its
/// event id, due now, which the handler runner claims. Enqueueing an id the queue holds already adds nothing:
/// that is how a duplicate is recognised, on one instance or many.
/// </summary>
internal sealed partial class WorkStoreInbox(
    ReceiverStorage storage,
    IOptions<TelnyxWebhookOptions> options,
    RecentEventIds recent,
    InboxSignal signal,
    ILogger<WorkStoreInbox> logger) : IWebhookInbox
{
    private const string RequestLogOwner = "request-log";

    private readonly TelnyxWebhookOptions _options = options.Value;

    public async ValueTask<InboxWriteOutcome> AcceptAsync(ReceivedWebhook webhook, CancellationToken cancellationToken)
    {
        var eventId = webhook.EventId ?? throw new ArgumentException("an accepted webhook has an event id", nameof(webhook));
        var store = await storage.GetStoreAsync(cancellationToken);
        bool added;
        if (await recent.SeenRecentlyAsync(eventId))
        {
            added = false;
        }
        else
        {
            var item = new NewWorkItem(eventId, Record(webhook, "accepted", 200, null, null).ToJson(), webhook.ReceivedAt, _options.MaxHandlerAttempts, webhook.EventType);
            // The request is not cancelled mid-write: once the write started, its outcome is what the sender is told.
            added = (await store.EnqueueAsync(ReceiverQueues.Inbox, [item], CancellationToken.None))[0];
            await recent.RememberAsync(eventId);
        }

        if (added)
        {
            signal.Notify();
        }
        else
        {
            LogDuplicate(logger, eventId, webhook.EventType);
        }

        if (_options.RecordAllRequests)
        {
            await RecordAsync(store, added
                ? Record(webhook, "accepted", 200, null, null)
                : Record(webhook, "duplicate", 200, "duplicate", $"event {eventId} was received before"));
        }

        return added ? InboxWriteOutcome.Stored : InboxWriteOutcome.Duplicate;
    }

    public async ValueTask RecordRejectedAsync(ReceivedWebhook webhook, int status, string reason, string detail, CancellationToken cancellationToken)
    {
        if (!_options.RecordAllRequests)
        {
            return;
        }

        var store = await storage.GetStoreAsync(cancellationToken);
        await RecordAsync(store, Record(webhook, "rejected", status, reason, detail));
    }

    /// <summary>
    /// A request record is written as a finished item (stored leased, then completed), so no worker ever claims it
    /// and retention prunes it like a handled event.
    /// </summary>
    private static async Task RecordAsync(IWorkStore store, StoredRequest request)
    {
        var item = new NewWorkItem(Guid.NewGuid().ToString("N"), request.ToJson(), request.ReceivedAt, 1, request.Outcome);
        var leased = await store.EnqueueLeasedAsync(ReceiverQueues.Requests, [item], RequestLogOwner, TimeSpan.FromMinutes(1), CancellationToken.None);
        if (leased[0] is { } claimed)
        {
            await store.CompleteAsync([WorkCompletion.Succeeded(claimed.Lease, [])], CancellationToken.None);
        }
    }

    internal static StoredRequest Record(ReceivedWebhook webhook, string outcome, int status, string? reason, string? detail)
    {
        var (text, base64) = StoredRequest.EncodeBody(webhook.Body.Span);
        return new StoredRequest
        {
            EventId = webhook.EventId,
            EventType = webhook.EventType,
            OccurredAt = webhook.OccurredAt,
            ReceivedAt = webhook.ReceivedAt,
            Outcome = outcome,
            HttpStatus = status,
            Verification = webhook.Verification,
            Reason = reason,
            Detail = detail ?? webhook.VerificationDetail,
            RemoteAddress = webhook.RemoteAddress,
            Headers = [.. webhook.Headers.Select(h => new[] { h.Key, h.Value })],
            Body = text,
            BodyBase64 = base64,
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Duplicate webhook {EventId} ({EventType}): answered 200, not handled again")]
    private static partial void LogDuplicate(ILogger logger, string eventId, string? eventType);
}

/// <summary>Wakes the handler runner when a webhook was stored, so it need not poll.</summary>
internal sealed class InboxSignal
{
    private readonly Channel<bool> _channel = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Notify() => _channel.Writer.TryWrite(true);

    /// <summary>Waits for a notification or the timeout, whichever comes first.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timeoutSource = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        try
        {
            await _channel.Reader.ReadAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
    }
}
