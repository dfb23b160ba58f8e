using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Switchboard.Receiver.Storage;

/// <summary>
/// Healthy while the inbox database answers and its latest write succeeded (see <see cref="InboxWriteFailures.Check"/>);
/// reports how many events wait for their handlers.
/// </summary>
internal sealed class ReceiverHealthCheck(ReceiverStorage storage, InboxWriteFailures writeFailures) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (writeFailures.Check() is { } failing)
        {
            return failing;
        }

        try
        {
            var store = await storage.GetStoreAsync(cancellationToken);
            var pending = await store.CountPendingAsync(ReceiverQueues.Inbox, cancellationToken);
            return HealthCheckResult.Healthy($"{pending} events wait for their handlers",
                new Dictionary<string, object> { ["pending"] = pending });
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("the inbox database does not answer", ex);
        }
    }
}
