using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.DurableWork;
using Switchboard.Receiver.Handlers;
using Switchboard.Receiver.Storage;

namespace Switchboard.Receiver.Inbox;

/// <summary>
/// The inbox on the durable-work store: an accepted webhook is an item of the <c>inbox</c> queue keyed by its
/// event id, due now, for the handler runner. Enqueueing an id the queue holds already adds nothing: that is how a
/// duplicate is recognised, on one instance or many. While the runner of this process keeps up, the event is stored
/// already leased to it and handed over in memory. The request log (<see cref="TelnyxWebhookOptions.RecordAllRequests"/>)
/// is for inspection only: when its record cannot be written, the request is answered as if it had been. An event
/// that no registered handler takes (<c>listen</c> without <c>--forward-to</c>) is stored finished, as the runner would
/// have finished it: no hand-over, no run and no completion to write.
/// </summary>
internal sealed partial class WorkStoreInbox(
    ReceiverStorage storage,
    IOptions<TelnyxWebhookOptions> options,
    IRecentEventIds recent,
    [FromKeyedServices(ReceiverQueues.Inbox)] WorkQueue inbox,
    HandlerRegistry handlers,
    RequestLog requestLog,
    InboxWriteFailures writeFailures,
    ILogger<WorkStoreInbox> logger) : IWebhookInbox
{
    private readonly TelnyxWebhookOptions _options = options.Value;

    public async ValueTask<InboxWriteOutcome> AcceptAsync(ReceivedWebhook webhook, CancellationToken cancellationToken)
    {
        var eventId = webhook.EventId ?? throw new ArgumentException("an accepted webhook has an event id", nameof(webhook));
        bool added;
        NewWorkItem? item = null;
        AppendedRecord? recorded = null;
        try
        {
            var store = await storage.GetStoreAsync(cancellationToken);
            if (await recent.SeenRecentlyAsync(eventId))
            {
                added = false;
            }
            else
            {
                var accepted = item = WorkItem(webhook, Record(webhook, "accepted", 200, null, null));
                // The request is not cancelled mid-write: once the write started, its outcome is what the sender is told.
                if (!_options.RecordAllRequests && IsHandled(accepted))
                {
                    added = (await inbox.EnqueueAsync([accepted], CancellationToken.None))[0];
                }
                else
                {
                    // The event and its request record in one commit, the record written only if the event is new (a
                    // duplicate's record, rarer, is written after it).
                    var isNew = false;
                    var batch = new WorkBatch();
                    Enqueue(batch, accepted, a => isNew = a[0]);
                    if (_options.RecordAllRequests && await TryLoadRequestLogAsync(store))
                    {
                        recorded = requestLog.Append(batch, accepted.Payload, accepted.Context!, "accepted", webhook.ReceivedAt, onlyIfPreviousAdded: true);
                    }

                    await store.CommitAsync(batch, CancellationToken.None);
                    added = isNew;
                }

                await recent.RememberAsync(eventId);
            }
        }
        catch (Exception ex)
        {
            requestLog.WriteFailed();
            writeFailures.Failed(ex);
            throw;
        }

        writeFailures.Succeeded();
        if (!added)
        {
            LogDuplicate(logger, eventId, webhook.EventType);
        }

        if (recorded is { } appended)
        {
            await ReportAsync(async () => await requestLog.CommittedAsync(await storage.GetStoreAsync(CancellationToken.None), appended));
            if (!appended.Added)
            {
                await RecordAsync(webhook, DuplicateRecord(webhook));
            }
        }
        else if (_options.RecordAllRequests)
        {
            if (added)
            {
                // The request log's record of an accepted webhook is the inbox item's, already encoded.
                await RecordAsync(item!.Payload, item.Context!, "accepted", webhook.ReceivedAt);
            }
            else
            {
                await RecordAsync(webhook, DuplicateRecord(webhook));
            }
        }

        return added ? InboxWriteOutcome.Stored : InboxWriteOutcome.Duplicate;
    }

    /// <summary>Adds the event to the inbox in <paramref name="batch"/>: for the runner, or finished if no handler takes it; <paramref name="committed"/> gets whether it was new.</summary>
    private void Enqueue(WorkBatch batch, NewWorkItem item, Action<IReadOnlyList<bool>> committed)
    {
        if (IsHandled(item))
        {
            inbox.Enqueue(batch, [item], committed);
        }
        else
        {
            batch.AddFinished(ReceiverQueues.Inbox, [item], committed);
        }
    }

    /// <summary>Whether a handler runs for the event (its tag is its type); the runner decides the same when it takes one.</summary>
    private bool IsHandled(NewWorkItem item) => item.Tag is not { } eventType || handlers.For(eventType).Any();

    private static StoredRequest DuplicateRecord(ReceivedWebhook webhook) =>
        Record(webhook, "duplicate", 200, "duplicate", $"event {webhook.EventId} was received before");

    /// <summary>Loads the request log's sizes once (see <see cref="RequestLog"/>); a failure is reported, not thrown: the webhook is stored without its record.</summary>
    private async Task<bool> TryLoadRequestLogAsync(IWorkStore store)
    {
        try
        {
            await requestLog.LoadAsync(store);
            return true;
        }
        catch (Exception ex)
        {
            writeFailures.Failed(ex);
            return false;
        }
    }

    public async ValueTask RecordRejectedAsync(ReceivedWebhook webhook, int status, string reason, string detail, CancellationToken cancellationToken)
    {
        if (_options.RecordAllRequests)
        {
            // Anyone can send a rejected request: only a bounded prefix of its body is kept, with the whole length noted.
            var kept = webhook.Body.Length > _options.RejectedBodyBytesKept
                ? webhook with { Body = Utf8Prefix(webhook.Body, _options.RejectedBodyBytesKept) }
                : webhook;
            await RecordAsync(kept, Record(webhook, "rejected", status, reason, detail));
        }
    }

    /// <summary>At most <paramref name="maxBytes"/> bytes, cut before a UTF-8 sequence rather than inside one, so text stays text.</summary>
    internal static ReadOnlyMemory<byte> Utf8Prefix(ReadOnlyMemory<byte> body, int maxBytes)
    {
        if (body.Length <= maxBytes)
        {
            return body;
        }

        var end = maxBytes;
        var span = body.Span;
        // A continuation byte (10xxxxxx) at the cut belongs to a sequence that started before it: cut before that start.
        while (end > 0 && end > maxBytes - 4 && (span[end] & 0xC0) == 0x80)
        {
            end--;
        }

        return body[..end];
    }

    /// <summary>A request record: its body as the payload, the rest as the context (see <see cref="RequestLog"/>).</summary>
    private Task RecordAsync(ReceivedWebhook webhook, StoredRequest request)
    {
        var (body, context) = Stored(webhook, request);
        return RecordAsync(body, context, request.Outcome, request.ReceivedAt);
    }

    /// <summary>Writes a request record; a failure (the store included) is reported (logged, and seen by the health check), not thrown.</summary>
    private Task RecordAsync(string body, string context, string outcome, DateTimeOffset receivedAt) =>
        ReportAsync(() => requestLog.AppendAsync(body, context, outcome, receivedAt));

    /// <summary>Runs a write of the request log; a failure (the store included) is reported (logged, and seen by the health check), not thrown.</summary>
    private async Task ReportAsync(Func<Task> write)
    {
        try
        {
            await write();
            writeFailures.Succeeded();
        }
        catch (Exception ex)
        {
            writeFailures.Failed(ex);
        }
    }

    /// <summary>An accepted webhook as an inbox item: its body as the payload, the rest of the record as the context.</summary>
    internal NewWorkItem WorkItem(ReceivedWebhook webhook, StoredRequest record)
    {
        var (body, context) = Stored(webhook, record);
        return new NewWorkItem(webhook.EventId!, body, webhook.ReceivedAt, _options.MaxHandlerAttempts, webhook.EventType, context);
    }

    /// <summary>A request as an item's payload (the body) and context (the record, saying how the body is encoded).</summary>
    private static (string Payload, string Context) Stored(ReceivedWebhook webhook, StoredRequest record)
    {
        var (body, encoding) = StoredRequest.EncodeBody(webhook.Body.Span);
        return (body, (record with { BodyEncoding = encoding }).ToJson());
    }

    internal static StoredRequest Record(ReceivedWebhook webhook, string outcome, int status, string? reason, string? detail)
    {
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
            BodyLength = webhook.BodyLength ?? webhook.Body.Length,
            Headers = [.. webhook.Headers.Select(h => new[] { h.Key, h.Value })],
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Duplicate webhook {EventId} ({EventType}): answered 200, not handled again")]
    private static partial void LogDuplicate(ILogger logger, string eventId, string? eventType);
}
