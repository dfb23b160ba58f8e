using Microsoft.Extensions.DependencyInjection;
using Switchboard.Receiver.Inbox;
using Switchboard.DurableWork;
using Switchboard.Receiver.Storage;

namespace Switchboard.Receiver;

/// <summary>Looks into the inbox and replays events: one, or every dead-lettered one.</summary>
public interface IWebhookInboxAdmin
{
    /// <summary>One stored event with its handler runs; null if it was never received.</summary>
    Task<InboxEntry?> GetAsync(string eventId, CancellationToken cancellationToken = default);

    /// <summary>Stored events, newest first, optionally only those in <paramref name="state"/>.</summary>
    Task<IReadOnlyList<InboxEntry>> ListAsync(InboxEntryState? state = null, int page = 1, int pageSize = 50, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every request recorded when <see cref="TelnyxWebhookOptions.RecordAllRequests"/> is on (accepted,
    /// duplicate, rejected), newest first.
    /// </summary>
    Task<IReadOnlyList<RecordedRequest>> ListRequestsAsync(int page = 1, int pageSize = 50, CancellationToken cancellationToken = default);

    /// <summary>One recorded request by its <see cref="RecordedRequest.Id"/>; null if the log does not hold it (never recorded, or trimmed).</summary>
    Task<RecordedRequest?> GetRequestAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Runs the event's handlers again, now, except those that completed already (a completed handler never runs
    /// twice for an event). False if there is no such event.
    /// </summary>
    Task<bool> ReplayAsync(string eventId, CancellationToken cancellationToken = default);

    /// <summary>Replays every dead-lettered event (dead-lettered since <paramref name="since"/>, if given). Returns how many.</summary>
    Task<int> ReplayDeadLetteredAsync(DateTimeOffset? since = null, CancellationToken cancellationToken = default);
}

public enum InboxEntryState
{
    /// <summary>Stored; its handlers have not all completed yet (waiting, running, or retrying).</summary>
    Pending,
    /// <summary>Every handler completed.</summary>
    Handled,
    /// <summary>Given up after the maximum number of runs; replay it once fixed.</summary>
    DeadLettered,
}

/// <summary>One stored event.</summary>
public sealed record InboxEntry(
    string EventId,
    string? EventType,
    InboxEntryState State,
    int Runs,
    DateTimeOffset ReceivedAt,
    string Verification,
    string Body,
    IReadOnlyList<HandlerRun> HandlerRuns);

/// <summary>One run of one handler; newest first in <see cref="InboxEntry.HandlerRuns"/>.</summary>
public sealed record HandlerRun(string Handler, int Run, bool Completed, string? Error, DateTimeOffset StartedAt, DateTimeOffset FinishedAt);

/// <summary>
/// One HTTP request as the receiver recorded it. <paramref name="BodyLength"/> is the length of the body as received,
/// null when unknown (a chunked body turned away before it was read). <paramref name="Id"/> names the record in the log
/// (<see cref="IWebhookInboxAdmin.GetRequestAsync"/>).
/// </summary>
public sealed record RecordedRequest(
    DateTimeOffset ReceivedAt,
    string Outcome,
    int HttpStatus,
    string Verification,
    string? Reason,
    string? Detail,
    string? EventId,
    string? EventType,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    byte[] Body,
    long? BodyLength = null,
    string Id = "")
{
    /// <summary>True when <see cref="Body"/> is only the start of the body that came (see <see cref="TelnyxWebhookOptions.RejectedBodyBytesKept"/>), or none of it.</summary>
    public bool BodyTruncated => BodyLength is { } length && length > Body.Length;
}

internal sealed class WebhookInboxAdmin(ReceiverStorage storage, [FromKeyedServices(ReceiverQueues.Inbox)] WorkQueue inbox, TimeProvider time) : IWebhookInboxAdmin
{
    public async Task<InboxEntry?> GetAsync(string eventId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventId);
        var store = await storage.GetStoreAsync(cancellationToken);
        return await store.GetAsync(ReceiverQueues.Inbox, eventId, cancellationToken) is { } item ? ToEntry(item) : null;
    }

    public async Task<IReadOnlyList<InboxEntry>> ListAsync(InboxEntryState? state = null, int page = 1, int pageSize = 50, CancellationToken cancellationToken = default)
    {
        var store = await storage.GetStoreAsync(cancellationToken);
        WorkStatus? status = state switch
        {
            InboxEntryState.Pending => WorkStatus.Pending,
            InboxEntryState.Handled => WorkStatus.Succeeded,
            InboxEntryState.DeadLettered => WorkStatus.Failed,
            _ => null,
        };
        var result = await store.QueryAsync(ReceiverQueues.Inbox, new WorkQuery { Status = status, PageNumber = page, PageSize = pageSize }, cancellationToken);
        return [.. result.Items.Select(ToEntry)];
    }

    public async Task<IReadOnlyList<RecordedRequest>> ListRequestsAsync(int page = 1, int pageSize = 50, CancellationToken cancellationToken = default)
    {
        var store = await storage.GetStoreAsync(cancellationToken);
        var result = await store.QueryAsync(ReceiverQueues.Requests, new WorkQuery { PageNumber = page, PageSize = pageSize }, cancellationToken);
        return [.. result.Items.Select(ToRecordedRequest).OfType<RecordedRequest>()];
    }

    public async Task<RecordedRequest?> GetRequestAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        var store = await storage.GetStoreAsync(cancellationToken);
        return await store.GetAsync(ReceiverQueues.Requests, id, cancellationToken) is { } item ? ToRecordedRequest(item) : null;
    }

    private static RecordedRequest? ToRecordedRequest(WorkItem item) => StoredRequest.FromJson(item.Context) is not { } record
        ? null
        : new RecordedRequest(
            record.ReceivedAt, record.Outcome, record.HttpStatus, record.Verification, record.Reason, record.Detail, record.EventId, record.EventType,
            [.. record.Headers.Where(h => h.Length == 2).Select(h => new KeyValuePair<string, string>(h[0], h[1]))], record.DecodeBody(item.Payload),
            record.BodyLength, item.Key);

    public async Task<bool> ReplayAsync(string eventId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventId);
        var store = await storage.GetStoreAsync(cancellationToken);
        var found = await store.RequeueAsync(ReceiverQueues.Inbox, eventId, time.GetUtcNow(), cancellationToken);
        inbox.Notify();
        return found;
    }

    public async Task<int> ReplayDeadLetteredAsync(DateTimeOffset? since = null, CancellationToken cancellationToken = default)
    {
        var store = await storage.GetStoreAsync(cancellationToken);
        var count = await store.RequeueFailedAsync(ReceiverQueues.Inbox, since ?? DateTimeOffset.UnixEpoch, time.GetUtcNow(), cancellationToken);
        inbox.Notify();
        return count;
    }

    /// <summary>A run the store logged as interrupted (the process stopped mid-run); it counts as a run of every handler not completed.</summary>
    private static readonly HandlerRunDetail InterruptedRun =
        new("(interrupted)", false, "the process stopped during this run (crash or takeover) before its result was recorded");

    private static InboxEntry ToEntry(WorkItem item)
    {
        var stored = StoredRequest.FromJson(item.Context);
        var state = item.Status switch
        {
            WorkStatus.Succeeded => InboxEntryState.Handled,
            WorkStatus.Failed => InboxEntryState.DeadLettered,
            _ => InboxEntryState.Pending,
        };
        var runs = item.AttemptLog
            .Select(a => (Attempt: a, Detail: a.IsInterruption ? InterruptedRun : HandlerRunDetail.FromJson(a.Detail)))
            .Where(a => a.Detail is not null)
            .Select(a => new HandlerRun(a.Detail!.Handler, a.Attempt.Attempt, a.Detail.Ok, a.Detail.Error, a.Attempt.StartedAt, a.Attempt.FinishedAt));
        return new InboxEntry(item.Key, item.Tag, state, item.Attempts, stored?.ReceivedAt ?? item.CreatedAt, stored?.Verification ?? "unknown", item.Payload, [.. runs]);
    }
}
