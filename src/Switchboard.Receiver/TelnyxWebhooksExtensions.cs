using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.Receiver.Handlers;
using Switchboard.Receiver.Inbox;
using Switchboard.Receiver.Ingest;
using Switchboard.Receiver.Ordering;
using Switchboard.Receiver.Storage;

namespace Switchboard.Receiver;

public static class TelnyxWebhooksExtensions
{
    /// <summary>
    /// Adds the webhook receiver: options (validated at start-up), verification, the inbox and the background
    /// handler runner. Register handlers on the returned builder.
    /// </summary>
    public static TelnyxWebhooksBuilder AddTelnyxWebhooks(this IServiceCollection services, Action<TelnyxWebhookOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<TelnyxWebhookOptions>()
            .Configure(configure)
            .ValidateOnStart();
        services.TryAddSingleton<IValidateOptions<TelnyxWebhookOptions>, TelnyxWebhookOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<ReceiverMetrics>();
        services.TryAddSingleton<WebhookIngestEndpoint>();
        services.TryAddSingleton<InboxWriteFailures>();
        services.AddHostedService<UnsignedModeWarning>();
        services.TryAddSingleton<ReceiverStorage>();
        services.TryAddSingleton<RecentEventIds>();
        services.TryAddSingleton<LocalHandlerRunner>();
        services.TryAddSingleton<RequestLog>();
        services.TryAddSingleton<IWebhookInbox, WorkStoreInbox>();
        services.TryAddSingleton<IWebhookInboxAdmin, WebhookInboxAdmin>();
        services.TryAddSingleton<IEventOrdering, StoredEventOrdering>();
        services.AddHostedService<SqliteInboxStartup>();
        services.AddHostedService<HandlerRunner>();
        services.AddHostedService<InboxRetention>();
        services.AddHealthChecks().AddCheck<ReceiverHealthCheck>("telnyx-webhooks");

        var registry = new HandlerRegistry();
        services.AddSingleton(registry);
        return new TelnyxWebhooksBuilder(services, registry);
    }

    /// <summary>
    /// Maps the webhook endpoint: POST receives; any other method gets 405. Returns the POST endpoint's builder.
    /// The health check is registered as <c>telnyx-webhooks</c>; map it with <c>app.MapHealthChecks("/healthz")</c>.
    /// </summary>
    public static IEndpointConventionBuilder MapTelnyxWebhooks(this IEndpointRouteBuilder endpoints, string pattern = "/webhooks/telnyx")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var post = endpoints.MapPost(pattern, (HttpContext context, WebhookIngestEndpoint endpoint) => endpoint.HandleAsync(context));
        endpoints.MapMethods(pattern, ["GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
            (HttpContext context, WebhookIngestEndpoint endpoint) => endpoint.RejectMethodAsync(context));
        return post;
    }
}

public static class TelnyxWebhooksAdminExtensions
{
    /// <summary>
    /// Maps a small admin API over <see cref="IWebhookInboxAdmin"/>: <c>GET {pattern}/events?state=</c>,
    /// <c>GET {pattern}/events/{id}</c>, <c>POST {pattern}/events/{id}/replay</c> and
    /// <c>POST {pattern}/dead-letter/replay</c>. It is not protected by itself: add
    /// <c>.RequireAuthorization(...)</c> to the returned group, or do not expose it.
    /// </summary>
    public static RouteGroupBuilder MapTelnyxWebhooksAdmin(this IEndpointRouteBuilder endpoints, string pattern = "/webhooks/telnyx/admin")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = endpoints.MapGroup(pattern);
        group.MapGet("/events", async (IWebhookInboxAdmin admin, InboxEntryState? state, int? page, CancellationToken ct) =>
            Results.Ok(await admin.ListAsync(state, Math.Max(page ?? 1, 1), 50, ct)));
        group.MapGet("/events/{id}", async (string id, IWebhookInboxAdmin admin, CancellationToken ct) =>
            await admin.GetAsync(id, ct) is { } entry ? Results.Ok(entry) : Results.NotFound());
        group.MapPost("/events/{id}/replay", async (string id, IWebhookInboxAdmin admin, CancellationToken ct) =>
            await admin.ReplayAsync(id, ct) ? Results.Accepted() : Results.NotFound());
        group.MapPost("/dead-letter/replay", async (IWebhookInboxAdmin admin, CancellationToken ct) =>
            Results.Ok(new { replayed = await admin.ReplayDeadLetteredAsync(null, ct) }));
        return group;
    }
}

/// <summary>Turns every option problem into a start-up error listing all of them.</summary>
internal sealed class TelnyxWebhookOptionsValidator : IValidateOptions<TelnyxWebhookOptions>
{
    public ValidateOptionsResult Validate(string? name, TelnyxWebhookOptions options)
    {
        var problems = options.Validate().ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

/// <summary>Says loudly, once at start, that webhooks are being accepted without verification.</summary>
internal sealed partial class UnsignedModeWarning(IOptions<TelnyxWebhookOptions> options, ILogger<UnsignedModeWarning> logger) : Microsoft.Extensions.Hosting.IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.AcceptUnsigned)
        {
            LogUnsigned(logger);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "AcceptUnsigned is on: webhooks are NOT verified and are stored as unverified. Use this for local development only.")]
    private static partial void LogUnsigned(ILogger logger);
}
