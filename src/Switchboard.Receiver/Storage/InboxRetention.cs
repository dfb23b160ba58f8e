using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.DurableWork;
using Switchboard.Receiver.Inbox;

namespace Switchboard.Receiver.Storage;

/// <summary>Deletes handled and dead-lettered events, and the request log, once they are older than <see cref="TelnyxWebhookOptions.KeepHandledFor"/>, hourly.</summary>
internal sealed partial class InboxRetention(
    ReceiverStorage storage,
    RequestLog requestLog,
    IOptions<TelnyxWebhookOptions> options,
    TimeProvider time,
    ILogger<InboxRetention> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var retention = new RetentionOptions { KeepFinishedFor = options.Value.KeepHandledFor };
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    var store = await storage.GetStoreAsync(stoppingToken);
                    var started = time.GetUtcNow();
                    var events = await PruneAsync(store, ReceiverQueues.Inbox, retention, stoppingToken);
                    var requests = await PruneAsync(store, ReceiverQueues.Requests, retention, stoppingToken);
                    requestLog.Forget(requests);
                    if (events + requests > 0)
                    {
                        await WorkPruner.ReclaimSpaceAsync(store, stoppingToken);
                    }

                    LogPruned(logger, events, requests, started - retention.KeepFinishedFor);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogPruneFailed(logger, ex);
                }

                await Task.Delay(retention.Interval, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task<int> PruneAsync(IWorkStore store, string queue, RetentionOptions retention, CancellationToken stoppingToken)
    {
        using var pruner = new WorkPruner(store, queue, retention, time);
        return await pruner.PruneOnceAsync(stoppingToken);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Deleted {Events} events and {Requests} request records finished before {Cutoff:o}")]
    private static partial void LogPruned(ILogger logger, int events, int requests, DateTimeOffset cutoff);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting old inbox events failed; trying again in an hour")]
    private static partial void LogPruneFailed(ILogger logger, Exception exception);
}
