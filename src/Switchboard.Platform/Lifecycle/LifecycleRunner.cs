using System.Text.Json;
using Microsoft.Extensions.Logging;
using Switchboard.DurableWork;

namespace Switchboard.Platform.Lifecycle;

/// <summary>
/// Works the lifecycle queue in this process, as the handler of its hosted worker (<c>AddWorkQueue&lt;LifecycleRunner&gt;</c>): each due step runs through the handler
/// of its resource, planned on a snapshot and committed as one batch with its own completion. A step cut off by the database (a lost connection, a
/// restart, a failover) is not the step's fault: the worker runs it again as soon as the database answers, with no attempt
/// counted. A step that fails otherwise is retried with growing, jittered pauses; one that keeps failing is given up and logged.
/// </summary>
internal sealed partial class LifecycleRunner(
    IWorkStore store,
    IEnumerable<IPlannedStepHandler> handlers,
    TimeProvider time,
    ILogger<LifecycleRunner> logger) : IWorkHandler
{
    /// <summary>How the host's worker works the lifecycle queue (see <see cref="WorkQueueServiceCollectionExtensions.AddWorkQueue{THandler}(Microsoft.Extensions.DependencyInjection.IServiceCollection, string, Action{WorkQueueWorkerOptions})"/>).</summary>
    internal static void Configure(WorkQueueWorkerOptions options)
    {
        options.Concurrency = 64;
        options.ClaimBatchSize = 256;
        options.PollInterval = TimeSpan.FromSeconds(1);
    }

    /// <summary>100 ms after the first failure, doubling up to a minute, with jitter so steps that failed together spread out.</summary>
    internal static readonly RetryDelays Retries = RetryDelays.Exponential(TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1));

    private readonly Dictionary<string, IPlannedStepHandler> _handlers = handlers.ToDictionary(h => h.Resource, StringComparer.Ordinal);

    Task<WorkCompletion> IWorkHandler.HandleAsync(ClaimedWorkItem item, CancellationToken stoppingToken) => RunAsync(item, stoppingToken);

    internal async Task<WorkCompletion> RunAsync(ClaimedWorkItem item, CancellationToken stoppingToken)
    {
        var attempt = item.Attempts + 1;
        var startedAt = time.GetUtcNow();
        try
        {
            var step = LifecycleSteps.Read(item);
            if (!_handlers.TryGetValue(step.Resource, out var handler))
            {
                throw new InvalidDataException($"no lifecycle handler for '{step.Resource}'");
            }

            return await CommitPlannedAsync(handler, item, step, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return WorkCompletion.Release(item.Lease, time.GetUtcNow());
        }
        catch (Exception ex) when (!TransientStoreErrors.IsTransient(ex))
        {
            var log = new WorkAttemptRecord(attempt, startedAt, time.GetUtcNow(), false,
                JsonSerializer.Serialize($"{ex.GetType().Name}: {ex.Message}", Api.PlatformJson.Default.String));
            if (attempt >= item.MaxAttempts || ex is InvalidDataException)
            {
                LogGivenUp(logger, item.Key, attempt, ex);
                return WorkCompletion.Failed(item.Lease, [log]);
            }

            LogRetry(logger, item.Key, attempt, ex);
            return WorkCompletion.Retry(item.Lease, time.GetUtcNow() + Retries.DelayAfter(attempt), [log]);
        }
    }

    /// <summary>
    /// Read (a snapshot), plan, commit the batch with the step's own completion in it: the writer only writes. A resource
    /// changed between the read and the commit is read and planned again, a few times, before the step counts as failed.
    /// </summary>
    private async Task<WorkCompletion> CommitPlannedAsync(IPlannedStepHandler handler, ClaimedWorkItem item, LifecycleStep step, CancellationToken stoppingToken)
    {
        var planned = await store.PlanAndCommitAsync(async reader =>
        {
            var batch = new WorkBatch();
            await handler.PlanAsync(reader, step, batch);
            return new WorkPlan<bool>(batch.Complete(item), true);
        }, stoppingToken, MaxPlans);
        if (planned.Outcome == WorkBatchOutcome.LeaseLost)
        {
            // Taken over by another worker, which runs the step: nothing of this run is stored.
            LogTakenOver(logger, item.Key);
        }

        return WorkCompletion.Recorded(item.Lease);
    }

    /// <summary>Plans of one step against a resource that changed between its read and its commit, before the step counts as failed.</summary>
    private const int MaxPlans = 5;

    [LoggerMessage(Level = LogLevel.Information, Message = "Lifecycle step {Key} was taken over by another worker before it committed; it runs there")]
    private static partial void LogTakenOver(ILogger logger, string key);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lifecycle step {Key} failed (try {Attempt}); trying again")]
    private static partial void LogRetry(ILogger logger, string key, int attempt, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Lifecycle step {Key} failed {Attempt} times and is given up")]
    private static partial void LogGivenUp(ILogger logger, string key, int attempt, Exception exception);
}
