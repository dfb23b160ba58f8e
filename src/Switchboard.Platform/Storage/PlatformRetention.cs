using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Switchboard.Delivery.Outbox;
using Switchboard.DurableWork;
using Switchboard.Platform.Calls;
using Switchboard.Platform.Lifecycle;

namespace Switchboard.Platform.Storage;

/// <summary>
/// Deletes what finished longer than <see cref="PlatformOptions.Retention"/> ago: webhook deliveries with their attempt
/// logs, lifecycle steps, messages, calls and recordings; then gives the space back to the file system (SQLite). What has
/// not finished (a delivery still retrying, a message in its lifecycle, a live call) has no finish time and is never
/// touched. Runs where the workers run, at start and then every tenth of the retention (between a second and an hour).
/// </summary>
internal sealed partial class PlatformRetention(IWorkStore store, PlatformOptions options, TimeProvider time, ILogger<PlatformRetention> logger) : BackgroundService
{
    private const int BatchSize = 1_000;

    private static readonly string[] Queues = [new DeliveryOptions().QueueName, LifecycleSteps.Queue];
    private static readonly string[] Kinds = [ResourceKinds.Message, ResourceKinds.Call, ResourceKinds.Recording];

    internal TimeSpan Interval => TimeSpan.FromTicks(Math.Clamp(options.Retention.Ticks / 10, TimeSpan.TicksPerSecond, TimeSpan.TicksPerHour));

    /// <summary>Deletes everything past retention now, a batch per write, and reclaims the space. Returns how many rows.</summary>
    public async Task<int> PruneOnceAsync(CancellationToken cancellationToken = default)
    {
        var retention = new RetentionOptions { KeepFinishedFor = options.Retention, BatchSize = BatchSize };
        var cutoff = time.GetUtcNow() - options.Retention;
        var deleted = 0;
        foreach (var queue in Queues)
        {
            using var pruner = new WorkPruner(store, queue, retention, time);
            deleted += await pruner.PruneOnceAsync(cancellationToken);
        }

        foreach (var kind in Kinds)
        {
            int batch;
            do
            {
                batch = await Resources.PruneFinishedAsync(store, kind, cutoff, BatchSize, cancellationToken);
                deleted += batch;
            }
            while (batch == BatchSize);
        }

        deleted += await CallCommandIds.ForgetExpiredAsync(store, time.GetUtcNow(), BatchSize, cancellationToken);
        if (deleted > 0)
        {
            LogPruned(logger, deleted, cutoff);
            await WorkPruner.ReclaimSpaceAsync(store, cancellationToken);
        }

        return deleted;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            do
            {
                try
                {
                    await PruneOnceAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogPruneFailed(logger, ex, Interval);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} deliveries, lifecycle steps, messages, calls and recordings that finished before {Cutoff:o}")]
    private static partial void LogPruned(ILogger logger, int count, DateTimeOffset cutoff);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting what is past retention failed; trying again in {Interval}")]
    private static partial void LogPruneFailed(ILogger logger, Exception exception, TimeSpan interval);
}
