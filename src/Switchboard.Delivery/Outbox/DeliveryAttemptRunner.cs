using System.Text;
using System.Text.Json;
using Switchboard.Delivery.Http;
using Switchboard.DurableWork;
using Switchboard.Events;

namespace Switchboard.Delivery.Outbox;

/// <summary>
/// Makes one attempt of one delivery: tries the chain of targets in order, each request with a body written
/// for it (<c>meta.attempt</c>, <c>meta.delivered_to</c>) and signed afresh, until one answers 2xx. Decides
/// what comes next: delivered, the next attempt per the schedule (and <c>Retry-After</c>), or failed. Each request
/// takes a slot of its target first (<see cref="TargetSlots"/>); an attempt whose first target is stalled gives the
/// delivery back, put off, with no attempt counted.
/// </summary>
internal sealed class DeliveryAttemptRunner(IWebhookSender sender, IWebhookSignerResolver signers, DeliveryOptions options, TimeProvider time, TargetSlots slots)
{
    public async Task<WorkCompletion> RunAsync(ClaimedWorkItem item, CancellationToken cancellationToken)
    {
        var attempt = item.Attempts + 1;
        var startedAt = time.GetUtcNow();
        var data = Encoding.UTF8.GetBytes(item.Payload);
        var targets = WebhookOutbox.DecodeTargets(item.Context);
        var log = new List<WorkAttemptRecord>(targets.Length);
        TimeSpan? retryAfter = null;
        foreach (var target in targets)
        {
            // A URL that is not absolute is refused without a request: it takes no slot.
            Uri.TryCreate(target.Url, UriKind.Absolute, out var url);
            using var slot = url is null ? default : await slots.EnterAsync(url, mayDefer: log.Count == 0, cancellationToken);
            if (slot.DeferUntil is { } deferUntil)
            {
                return WorkCompletion.Release(item.Lease, deferUntil);
            }

            var (outcome, sentHeaders) = await SendAsync(item.Key, data, attempt, target, url, cancellationToken);
            var entry = AttemptLogEntry.From(outcome, sentHeaders);
            log.Add(new WorkAttemptRecord(attempt, outcome.StartedAt, outcome.FinishedAt, outcome.Succeeded,
                JsonSerializer.Serialize(entry, DeliveryJsonContext.Default.AttemptLogEntry)));
            if (outcome.Succeeded)
            {
                return Bounded(WorkCompletion.Succeeded(item.Lease, log));
            }

            if (outcome.RetryAfter is { } asked && (retryAfter is null || asked > retryAfter))
            {
                retryAfter = asked;
            }
        }

        if (attempt >= item.MaxAttempts)
        {
            return Bounded(WorkCompletion.Failed(item.Lease, log));
        }

        // The endpoint's Retry-After, honoured within limits: never sooner than planned nor later than twice the plan.
        var delay = RetryAfterPolicy.Clamp(options.Schedule.DelayAfter(attempt), retryAfter);
        return Bounded(WorkCompletion.Retry(item.Lease, startedAt + delay, log));
    }

    /// <summary>The completion, keeping the requests of the delivery's newest <see cref="DeliveryOptions.AttemptLogLimit"/> attempts.</summary>
    private WorkCompletion Bounded(WorkCompletion completion) => completion with { KeepAttempts = options.AttemptLogLimit };

    private async Task<(SendOutcome Outcome, IReadOnlyList<KeyValuePair<string, string>> Headers)> SendAsync(
        string eventId, byte[] data, int attempt, StoredTarget target, Uri? url, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (url is null)
        {
            return (Refused(target.Url, now, SendErrorKind.InvalidUrl, $"'{target.Url}' is not an absolute URL"), []);
        }

        var signer = signers.Find(target.Scheme, target.Key);
        if (signer is null)
        {
            return (Refused(target.Url, now, SendErrorKind.Other,
                target.Key is null ? $"no default key for {target.Scheme}" : $"no {target.Scheme} signing key named '{target.Key}'"), []);
        }

        var body = EnvelopeWriter.Write(data, attempt, target.Url);
        // The signature headers only: the sender writes Content-Type, Content-Length and User-Agent itself, once.
        var headers = signer.Sign(body, time.GetUtcNow(), eventId);
        try
        {
            var request = new SendRequest(url, body, headers) { Timeout = target.TimeoutMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null };
            return (await sender.SendAsync(request, cancellationToken), headers);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The sender promises outcomes, not exceptions; if one escapes anyway it is a failed request, not a lost delivery.
            var finished = time.GetUtcNow();
            return (new SendOutcome
            {
                Url = url,
                StartedAt = now,
                FinishedAt = finished,
                RequestHeaders = headers,
                Error = SendErrorKind.Other,
                ErrorDetail = $"{ex.GetType().Name}: {ex.Message}",
            }, headers);
        }

        SendOutcome Refused(string rawUrl, DateTimeOffset at, SendErrorKind kind, string detail) => new()
        {
            Url = new Uri(rawUrl, UriKind.RelativeOrAbsolute),
            StartedAt = at,
            FinishedAt = at,
            RequestHeaders = [],
            Error = kind,
            ErrorDetail = detail,
        };
    }
}
