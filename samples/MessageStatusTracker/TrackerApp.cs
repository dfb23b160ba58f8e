using System.Collections.Concurrent;
using Switchboard.Events;
using Switchboard.Receiver;

namespace MessageStatusTracker;

/// <summary>
/// Tracks each outbound message's status from its webhooks. Webhooks arrive out of order (a retried
/// <c>message.sent</c> can land after <c>message.finalized</c>), so each status change first asks
/// <see cref="IEventOrdering"/> whether the event is newer than what was applied to that message.
/// Configuration: <c>Telnyx:PublicKey</c> (required), <c>Telnyx:DataDirectory</c> (default <c>data</c>).
/// </summary>
public static class TrackerApp
{
    public static WebApplication Create(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Services.AddSingleton<StatusBook>();
        builder.Services.AddTelnyxWebhooks(options =>
        {
            if (builder.Configuration["Telnyx:PublicKey"] is { Length: > 0 } key)
            {
                options.PublicKeys.Add(key);
            }

            options.DataDirectory = builder.Configuration["Telnyx:DataDirectory"] ?? "data";
        })
            .On<MessagePayload>(EventTypes.MessageSent, "status.sent", (payload, context, ct) => Apply(context, payload, "sent", ct))
            .On<MessagePayload>(EventTypes.MessageDelivered, "status.delivered", (payload, context, ct) => Apply(context, payload, "delivered", ct))
            .On<MessagePayload>(EventTypes.MessageFailed, "status.failed", (payload, context, ct) => Apply(context, payload, "failed", ct))
            .On<MessagePayload>(EventTypes.MessageFinalized, "status.finalized", (payload, context, ct) =>
                Apply(context, payload, payload.To?.FirstOrDefault()?.Status ?? "finalized", ct));

        var app = builder.Build();
        app.MapTelnyxWebhooks("/webhooks/telnyx");
        app.MapHealthChecks("/healthz");
        app.MapGet("/messages/{id}", (string id, StatusBook statuses) =>
            statuses.Get(id) is { } status ? Results.Ok(new MessageStatusAnswer(id, status)) : Results.NotFound());
        return app;
    }

    private static async Task Apply(WebhookContext context, MessagePayload payload, string status, CancellationToken cancellationToken)
    {
        var ordering = context.Services.GetRequiredService<IEventOrdering>();
        var statuses = context.Services.GetRequiredService<StatusBook>();
        // Asking and applying under one gate keeps a slower, older event from writing after a newer one was
        // asked about and applied. (A projection kept in a database would do both in one transaction.)
        await statuses.Gate.WaitAsync(cancellationToken);
        try
        {
            if (await ordering.TryAdvanceAsync(context.Event, cancellationToken))
            {
                statuses.Set(payload.Id ?? context.Event.Id, status);
            }
        }
        finally
        {
            statuses.Gate.Release();
        }
    }
}

/// <summary>The projection: message id → latest status. In memory, as befits a sample.</summary>
public sealed class StatusBook
{
    private readonly ConcurrentDictionary<string, string> _statuses = new();

    internal SemaphoreSlim Gate { get; } = new(1, 1);

    public string? Get(string messageId) => _statuses.GetValueOrDefault(messageId);

    internal void Set(string messageId, string status) => _statuses[messageId] = status;
}

public sealed record MessageStatusAnswer(string Id, string Status);
