using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.DurableWork;
using Switchboard.Events;
using Switchboard.Receiver.Inbox;
using Switchboard.Receiver.Storage;

namespace Switchboard.Receiver.Handlers;

/// <summary>
/// Runs handlers in the background from the inbox, a handler on the shared <see cref="WorkQueueWorker"/>: takes stored events with a
/// lease (handed over by the inbox of this process, or claimed), runs the matching handlers (a DI scope each) with
/// bounded concurrency, and records each handler's run in the event's attempt log. A failed handler is retried with
/// exponential backoff and jitter (<see cref="RetryDelays.Exponential"/>), without rerunning the handlers of that event that completed already (also after a restart);
/// after <see cref="TelnyxWebhookOptions.MaxHandlerAttempts"/> runs the event is dead-lettered with its last error kept.
/// </summary>
internal sealed partial class HandlerRunner(
    ReceiverStorage storage,
    HandlerRegistry registry,
    IServiceScopeFactory scopes,
    IOptions<TelnyxWebhookOptions> options,
    TimeProvider time,
    ReceiverMetrics metrics,
    ILogger<HandlerRunner> logger) : IWorkHandler
{
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromHours(1);
    private static readonly TimeSpan IdlePoll = TimeSpan.FromSeconds(1);

    private readonly RetryDelays _retryDelays = RetryDelays.Exponential(options.Value.HandlerRetryDelay, MaxRetryDelay);

    /// <summary>
    /// The worker's options (<c>AddWorkQueue&lt;HandlerRunner&gt;</c>): null when <see cref="TelnyxWebhookOptions.RunHandlers"/>
    /// is off, so this process only ingests.
    /// </summary>
    internal static WorkQueueWorkerOptions? WorkerOptions(TelnyxWebhookOptions options) => options.RunHandlers
        ? new WorkQueueWorkerOptions
        {
            Concurrency = options.HandlerConcurrency,
            // Small on purpose: the worker holds up to four batches leased in memory, and each of those counts an
            // interrupted run after a crash.
            ClaimBatchSize = Math.Max(options.HandlerConcurrency, 16),
            PollInterval = IdlePoll,
        }
        : null;

    Task<WorkCompletion> IWorkHandler.HandleAsync(ClaimedWorkItem item, CancellationToken stoppingToken) => RunAsync(item, stoppingToken);

    /// <summary>Runs the event's handlers that have not completed yet and says what became of the event.</summary>
    internal async Task<WorkCompletion> RunAsync(ClaimedWorkItem item, CancellationToken stoppingToken)
    {
        var now = time.GetUtcNow();
        if (item.Tag is { } eventType && !registry.For(eventType).Any())
        {
            // No handler for its type (listen without --forward-to has none): done, without reading the stored record
            // back. The item's tag is its event type and its due time when it arrived (or was replayed).
            metrics.InboxLag(now - item.DueAt);
            return WorkCompletion.Succeeded(item.Lease, []);
        }

        var attempt = item.Attempts + 1;
        var stored = StoredRequest.FromJson(item.Context);
        var rawBody = stored?.DecodeBody(item.Payload);
        WebhookEnvelope? envelope = null;
        string? parseError = "the stored record is not readable";
        if (rawBody is not null && !WebhookEnvelope.TryParse(rawBody, out envelope, out parseError))
        {
            envelope = null;
        }

        if (stored is null || rawBody is null || envelope is null)
        {
            // Cannot happen for what the endpoint stored; dead-letter rather than loop.
            LogUnreadable(logger, item.Key, parseError);
            return WorkCompletion.Failed(item.Lease, [new(attempt, now, now, false, new HandlerRunDetail("(inbox)", false, parseError).ToJson())]);
        }

        metrics.InboxLag(now - (item.Attempts == 0 ? stored.ReceivedAt : item.DueAt));
        IReadOnlyList<KeyValuePair<string, string>> headers = [.. stored.Headers.Where(h => h.Length == 2).Select(h => new KeyValuePair<string, string>(h[0], h[1]))];
        var (previousRuns, interruptedRuns) = item.Attempts == 0 ? ([], 0) : await PreviousRunsAsync(item.Key, stoppingToken);
        var log = new List<WorkAttemptRecord>();
        string? lastError = null;
        string? failedHandler = null;
        foreach (var handler in registry.For(envelope.Data.EventType))
        {
            if (previousRuns.Any(r => r.Handler == handler.Name && r.Ok))
            {
                continue;
            }

            if (stoppingToken.IsCancellationRequested)
            {
                return new WorkCompletion(item.Lease, WorkOutcome.Release, time.GetUtcNow(), log);
            }

            var startedAt = time.GetUtcNow();
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var context = new WebhookContext
                {
                    Event = envelope.Data,
                    // A run cut off by a crash counts as a run of every handler that had not completed.
                    Attempt = previousRuns.Count(r => r.Handler == handler.Name) + interruptedRuns + 1,
                    Verified = stored.Verification == "valid",
                    ReceivedAt = stored.ReceivedAt,
                    RawBody = rawBody,
                    Headers = headers,
                    Services = scope.ServiceProvider,
                };
                await handler.Invoke(context, stoppingToken);
                log.Add(new(attempt, startedAt, time.GetUtcNow(), true, handler.CompletedDetail));
                metrics.HandlerRan(handler.Name, "completed");
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return new WorkCompletion(item.Lease, WorkOutcome.Release, time.GetUtcNow(), log);
            }
            catch (Exception ex)
            {
                lastError = $"{handler.Name}: {ex.GetType().Name}: {ex.Message}";
                failedHandler = handler.Name;
                log.Add(new(attempt, startedAt, time.GetUtcNow(), false, new HandlerRunDetail(handler.Name, false, $"{ex.GetType().FullName}: {ex.Message}").ToJson()));
                LogHandlerFailed(logger, handler.Name, item.Key, attempt, ex);
            }
        }

        if (lastError is null)
        {
            return WorkCompletion.Succeeded(item.Lease, log);
        }

        if (attempt >= item.MaxAttempts)
        {
            metrics.HandlerRan(failedHandler!, "dead_letter");
            LogDeadLettered(logger, item.Key, attempt, lastError);
            return WorkCompletion.Failed(item.Lease, log);
        }

        metrics.HandlerRan(failedHandler!, "retry");
        return WorkCompletion.Retry(item.Lease, time.GetUtcNow() + RetryDelay(attempt), log);
    }

    internal TimeSpan RetryDelay(int attempt) => _retryDelays.DelayAfter(attempt);

    /// <summary>The handler runs logged for the event, and how many runs were interrupted (the process stopped mid-run).</summary>
    private async Task<(IReadOnlyList<HandlerRunDetail> Runs, int Interrupted)> PreviousRunsAsync(string eventId, CancellationToken cancellationToken)
    {
        var store = await storage.GetStoreAsync(cancellationToken);
        var item = await store.GetAsync(ReceiverQueues.Inbox, eventId, cancellationToken);
        if (item is null)
        {
            return ([], 0);
        }

        return ([.. item.AttemptLog.Where(a => !a.IsInterruption).Select(a => HandlerRunDetail.FromJson(a.Detail)).OfType<HandlerRunDetail>()],
            item.AttemptLog.Count(a => a.IsInterruption));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook handler {Handler} failed for event {EventId} (run {Attempt})")]
    private static partial void LogHandlerFailed(ILogger logger, string handler, string eventId, int attempt, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Event {EventId} is dead-lettered after {Attempts} runs; last error: {Error}")]
    private static partial void LogDeadLettered(ILogger logger, string eventId, int attempts, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stored event {EventId} cannot be read ({Error}); dead-lettered")]
    private static partial void LogUnreadable(ILogger logger, string eventId, string? error);
}
