using Switchboard.Events;

namespace Switchboard.Receiver;

/// <summary>What a handler gets besides the typed payload: the event, the attempt, and scoped services.</summary>
public sealed class WebhookContext
{
    public required WebhookEvent Event { get; init; }

    /// <summary>1 on the first run of this handler for this event, then 2, 3, ... on retries.</summary>
    public required int Attempt { get; init; }

    /// <summary>False only in accept-unsigned (local development) mode.</summary>
    public required bool Verified { get; init; }

    public required DateTimeOffset ReceivedAt { get; init; }

    /// <summary>The request body exactly as received (what was signed), e.g. to pass the webhook on unchanged.</summary>
    public required ReadOnlyMemory<byte> RawBody { get; init; }

    /// <summary>The request headers as received.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; }

    /// <summary>Services of a scope created for this run.</summary>
    public required IServiceProvider Services { get; init; }
}
