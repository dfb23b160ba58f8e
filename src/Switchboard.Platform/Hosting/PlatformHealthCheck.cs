using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Switchboard.Delivery;
using Switchboard.DurableWork;
using Switchboard.Platform.Webhooks;

namespace Switchboard.Platform.Hosting;

/// <summary>Healthy while the database answers and (in a process that runs it) the webhook dispatcher runs.</summary>
internal sealed class PlatformHealthCheck(IWorkStore store, IServiceProvider services) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.ReadAsync(reader => GlobalWebhooks.ReadAsync(reader), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The kind of failure only (the exception's message may name the database's host): the log has the rest.
            var cause = TransientStoreErrors.IsTransient(ex) ? "unreachable, restarting or failing over; the API answers 503 until it is back" : ex.GetType().Name;
            return HealthCheckResult.Unhealthy($"the database does not answer ({cause})", ex);
        }

        if (services.GetService<WebhookDispatcherStatus>() is { HasStopped: true } dispatcher)
        {
            return HealthCheckResult.Unhealthy("the webhook dispatcher has stopped", dispatcher.Failure);
        }

        return HealthCheckResult.Healthy();
    }

    /// <summary><c>/healthz</c>'s body: the status, and what is wrong when something is (<c>Unhealthy: the database does not answer (...)</c>).</summary>
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        var problems = report.Entries.Values.Where(e => e.Status != HealthStatus.Healthy && e.Description is not null).Select(e => e.Description).ToList();
        var text = problems.Count == 0 ? report.Status.ToString() : $"{report.Status}: {string.Join("; ", problems)}";
        return context.Response.WriteAsync(text, context.RequestAborted);
    }
}
