using System.Text.Json;
using Switchboard.DurableWork;

namespace Switchboard.Delivery.Outbox;

/// <summary>
/// The delivery outbox: publishing stores each event durably (once per event id) for the dispatcher to
/// deliver; queries read the delivery records and their attempt logs; redelivery schedules one more attempt.
/// </summary>
public sealed class WebhookOutbox
{
    public WebhookOutbox(IWorkStore store, DeliveryOptions? options = null, TimeProvider? time = null)
        : this(store, queue: null, options, time)
    {
    }

    /// <summary>An outbox on <paramref name="queue"/> of <paramref name="store"/> (the container's, whose worker <c>AddWebhookDelivery</c> runs), or a queue of its own.</summary>
    internal WebhookOutbox(IWorkStore store, WorkQueue? queue, DeliveryOptions? options, TimeProvider? time)
    {
        ArgumentNullException.ThrowIfNull(store);
        Options = options ?? new DeliveryOptions();
        Options.Validate();
        queue ??= new WorkQueue(store, Options.QueueName);
        if (queue.Name != Options.QueueName)
        {
            throw new ArgumentException($"the outbox's queue is '{Options.QueueName}', not '{queue.Name}'", nameof(queue));
        }

        Store = store;
        Time = time ?? TimeProvider.System;
        Queue = queue;
    }

    internal IWorkStore Store { get; }

    /// <summary>The deliveries' queue: a dispatcher of this process works it, and takes fresh deliveries straight from publishing.</summary>
    internal WorkQueue Queue { get; }

    internal DeliveryOptions Options { get; }

    internal TimeProvider Time { get; }

#pragma warning disable RS0026 // Both overloads end with the optional CancellationToken, as .NET's own async methods do.
    /// <summary>Stores one webhook for delivery; durable when this returns. Publishing an event id again stores nothing.</summary>
    public async Task<PublishResult> PublishAsync(OutboundWebhook webhook, CancellationToken cancellationToken = default) =>
        (await PublishAsync([webhook], cancellationToken))[0];

    /// <summary>Stores many webhooks in one transaction; durable when this returns. Each result says whether it was new.</summary>
    public async Task<IReadOnlyList<PublishResult>> PublishAsync(IReadOnlyList<OutboundWebhook> webhooks, CancellationToken cancellationToken = default)
    {
        // A dispatcher running in this process takes fresh deliveries straight from publishing (see WorkQueue).
        var created = await Queue.EnqueueAsync(Items(webhooks), cancellationToken);
        return [.. webhooks.Select((w, i) => new PublishResult(w.EventId, created[i]))];
    }
#pragma warning restore RS0026

    /// <summary>
    /// Adds webhooks to <paramref name="batch"/> (a batch for this outbox's store), computed now: they are published if
    /// and only if the batch commits, together with the rest of it.
    /// </summary>
    public void Publish(WorkBatch batch, IReadOnlyList<OutboundWebhook> webhooks)
    {
        ArgumentNullException.ThrowIfNull(batch);
        Queue.Enqueue(batch, Items(webhooks));
    }

    private NewWorkItem[] Items(IReadOnlyList<OutboundWebhook> webhooks)
    {
        ArgumentNullException.ThrowIfNull(webhooks);
        var dueAt = Time.GetUtcNow() + Options.Schedule.FirstDelay;
        var items = new NewWorkItem[webhooks.Count];
        for (var i = 0; i < webhooks.Count; i++)
        {
            var webhook = webhooks[i] ?? throw new ArgumentException("a webhook in the batch is null", nameof(webhooks));
            webhook.Validate();
            items[i] = new NewWorkItem(
                webhook.EventId,
                webhook.DataJson,
                dueAt,
                Options.Schedule.MaxAttempts,
                webhook.EventType,
                EncodeTargets(webhook.Targets),
                webhook.OrderingKey);
        }

        return items;
    }

    /// <summary>One delivery with the requests of its newest attempts, newest first; null if the event id is unknown.</summary>
    public async Task<WebhookDelivery?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        var item = await Store.GetAsync(Options.QueueName, id, cancellationToken);
        return item is null ? null : ToDelivery(item);
    }

    /// <summary>
    /// The most requests each delivery of a query result carries (its newest), so a page costs memory bounded by its size
    /// whatever the deliveries' histories; <see cref="GetAsync"/> gives one delivery's whole kept log.
    /// </summary>
    public const int ListedRequests = 5;

    /// <summary>A page of deliveries, newest first, each with its newest <see cref="ListedRequests"/> requests.</summary>
    public async Task<DeliveryPage> QueryAsync(DeliveryQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var page = await Store.QueryAsync(Options.QueueName, new WorkQuery
        {
            Status = query.Status switch
            {
                DeliveryStatus.Pending => WorkStatus.Pending,
                DeliveryStatus.Delivered => WorkStatus.Succeeded,
                DeliveryStatus.Failed => WorkStatus.Failed,
                _ => null,
            },
            Tag = query.EventType,
            Tags = query.EventTypes,
            CreatedFrom = query.StartedFrom,
            CreatedTo = query.StartedTo,
            FinishedFrom = query.FinishedFrom,
            FinishedTo = query.FinishedTo,
            PayloadContains = query.WebhookContains,
            AttemptsContain = query.AttemptsContain,
            IncludeAttemptLog = true,
            MaxAttemptLogEntries = ListedRequests,
            PageNumber = query.PageNumber,
            PageSize = query.PageSize,
        }, cancellationToken);
        return new DeliveryPage([.. page.Items.Select(ToDelivery)], page.TotalCount, page.PageNumber, page.PageSize, page.TotalPages);
    }

    /// <summary>
    /// The requests made since <paramref name="since"/> (by when they finished), latest first, at most
    /// <paramref name="maxAttempts"/>, each with its delivery's id: the recent activity of every delivery at once.
    /// </summary>
    public async Task<IReadOnlyList<RecentDeliveryAttempt>> ListAttemptsAsync(DateTimeOffset since, int maxAttempts, CancellationToken cancellationToken = default)
    {
        var attempts = await Store.ListAttemptsAsync(Options.QueueName, since, maxAttempts, cancellationToken);
        return [.. attempts.Select(a => new RecentDeliveryAttempt(a.Key, ToAttempt(a.Attempt, [])))];
    }

    /// <summary>
    /// Attempts a delivery again now: a delivered or failed one gets one more attempt (numbered after the last);
    /// a pending one is brought forward to now. Returns false if the event id is unknown.
    /// </summary>
    public async Task<bool> RedeliverAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        var found = await Store.RequeueAsync(Options.QueueName, id, Time.GetUtcNow(), cancellationToken);
        Queue.Notify();
        return found;
    }

    /// <summary>Gives every delivery that failed at or after <paramref name="since"/> one more attempt, now. Returns how many.</summary>
    public async Task<int> RedeliverFailedSinceAsync(DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        var count = await Store.RequeueFailedAsync(Options.QueueName, since, Time.GetUtcNow(), cancellationToken);
        Queue.Notify();
        return count;
    }

    /// <summary>Deliveries not yet delivered or failed (the dispatcher's backlog).</summary>
    public Task<long> CountPendingAsync(CancellationToken cancellationToken = default) =>
        Store.CountPendingAsync(Options.QueueName, cancellationToken);

    private static WebhookDelivery ToDelivery(WorkItem item)
    {
        using var data = JsonDocument.Parse(item.Payload);
        var targets = DecodeTargets(item.Context);
        return new WebhookDelivery
        {
            Id = item.Key,
            Status = item.Status switch
            {
                WorkStatus.Succeeded => DeliveryStatus.Delivered,
                WorkStatus.Failed => DeliveryStatus.Failed,
                _ => DeliveryStatus.Pending,
            },
            OrderingKey = item.OrderingKey,
            EventType = item.Tag ?? "",
            StartedAt = item.CreatedAt,
            FinishedAt = item.FinishedAt,
            NextAttemptAt = item.Status is WorkStatus.Pending or WorkStatus.Waiting ? item.DueAt : null,
            AttemptCount = item.Attempts,
            MaxAttempts = item.MaxAttempts,
            Webhook = data.RootElement.Clone(),
            Targets = [.. targets.Select(t => new WebhookTarget(new Uri(t.Url), t.Scheme, t.Key) { Timeout = t.TimeoutMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null })],
            Attempts = [.. item.AttemptLog.Select(a => ToAttempt(a, targets))],
        };
    }

    private static DeliveryAttempt ToAttempt(WorkAttempt attempt, StoredTarget[] targets)
    {
        if (attempt.IsInterruption)
        {
            return AttemptLogEntry.Interrupted(targets.FirstOrDefault()?.Url ?? "").ToAttempt(attempt.Attempt, attempt.StartedAt, attempt.FinishedAt, succeeded: false);
        }

        var entry = JsonSerializer.Deserialize(attempt.Detail, DeliveryJsonContext.Default.AttemptLogEntry)
            ?? throw new InvalidDataException($"attempt log entry {attempt.Id} is empty");
        return entry.ToAttempt(attempt.Attempt, attempt.StartedAt, attempt.FinishedAt, attempt.Succeeded);
    }

    internal static string EncodeTargets(IReadOnlyList<WebhookTarget> targets) =>
        JsonSerializer.Serialize([.. targets.Select(t => new StoredTarget(t.Url.OriginalString, t.Scheme, t.KeyReference, (long?)t.Timeout?.TotalMilliseconds))], DeliveryJsonContext.Default.StoredTargetArray);

    internal static StoredTarget[] DecodeTargets(string? context) =>
        context is null ? [] : JsonSerializer.Deserialize(context, DeliveryJsonContext.Default.StoredTargetArray) ?? [];
}
