using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Switchboard.Delivery.Outbox;
using Switchboard.DurableWork;

namespace Switchboard.Platform.Hosting;

/// <summary>Healthy while the database answers and (in a process that runs it) the webhook dispatcher runs.</summary>
internal sealed class PlatformHealthCheck(IWorkStore store, IServiceProvider services) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.ReadAsync(reader => reader.QueryAsync("SELECT 1", row => row.GetInt32(0)), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("the database does not answer", ex);
        }

        if (services.GetService<DeliveryDispatcher>() is { ExecuteTask: { IsCompleted: true } stopped })
        {
            return HealthCheckResult.Unhealthy("the webhook dispatcher has stopped", stopped.Exception);
        }

        return HealthCheckResult.Healthy();
    }
}
