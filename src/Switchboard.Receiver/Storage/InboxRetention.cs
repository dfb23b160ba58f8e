using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.DurableWork;

namespace Switchboard.Receiver.Storage;

/// <summary>Deletes handled and dead-lettered events, and the request log, once they are older than <see cref="TelnyxWebhookOptions.KeepHandledFor"/>, hourly.</summary>
internal sealed partial class InboxRetention(
    ReceiverStorage storage,
    IOptions<TelnyxWebhookOptions> options,
    TimeProvider time,
    ILogger<WorkPruner> logger) : BackgroundService
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
                    foreach (var queue in (string[])[ReceiverQueues.Inbox, ReceiverQueues.Requests])
                    {
                        using var pruner = new WorkPruner(store, queue, retention, time, logger);
                        await pruner.PruneOnceAsync(stoppingToken);
                    }
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting old inbox events failed; trying again in an hour")]
    private static partial void LogPruneFailed(ILogger logger, Exception exception);
}
