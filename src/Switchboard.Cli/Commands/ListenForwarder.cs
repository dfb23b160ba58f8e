using Switchboard.Delivery.Http;
using Switchboard.Events;
using Switchboard.Receiver;
using Switchboard.Receiver.Inbox;
using Switchboard.Signing;
using Switchboard.Web.Inspector;

namespace Switchboard.Cli.Commands;

/// <summary>
/// <c>listen --forward-to</c>: passes each verified webhook on to the app, body untouched, as a handler on the inbox
/// (so a forward survives a restart and is retried with backoff). By default with the signature headers as they came:
/// the app verifies Telnyx's signature itself, so every try must reach it within the 5-minute tolerance of the original
/// <c>telnyx-timestamp</c>, and <see cref="Tries"/> is chosen so the last one starts at most <see cref="OriginalSignatureBudget"/>
/// after the webhook arrived. With a key of listen's own (<c>--forward-sign-key</c>), each try is signed afresh with
/// it, as the Stripe CLI does with its own secret; the app then trusts that key's public key instead.
/// </summary>
internal sealed class ListenForwarder(HttpWebhookSender sender, Uri target, Ed25519PrivateKey? signingKey, int tries, TimeProvider time, TextWriter output) : IInspectorForwarding
{
    public const string HandlerName = "forward";

    /// <summary>The first retry waits at most this long; each later one at most twice that (the inbox's handler backoff, jittered down to half).</summary>
    public static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How late the last try of a forward with the original signature may start, after the webhook arrived: a minute
    /// short of Telnyx's 300 s tolerance, for the time the webhook took to reach listen and for clock skew.
    /// </summary>
    public static readonly TimeSpan OriginalSignatureBudget = TimeSpan.FromSeconds(240);

    /// <summary>Tries of a re-signed forward: each carries a fresh timestamp, so none is too late; the last starts about 8.5 minutes (plus timeouts) after the first.</summary>
    public const int ResignedTries = 10;

    /// <summary>How many tries a forward gets: with the original signature, as many as start within <see cref="OriginalSignatureBudget"/>.</summary>
    public static int TriesFor(TimeSpan forwardTimeout, bool resigned)
    {
        if (resigned)
        {
            return ResignedTries;
        }

        var tries = 1;
        while (tries < ResignedTries && LastTryStartsAfter(tries + 1, forwardTimeout) <= OriginalSignatureBudget)
        {
            tries++;
        }

        return tries;
    }

    /// <summary>When try <paramref name="tries"/> starts at the latest: every earlier try timed out, then waited its longest backoff (1 s, 2 s, 4 s, ...; the jitter only shortens it).</summary>
    public static TimeSpan LastTryStartsAfter(int tries, TimeSpan forwardTimeout) =>
        (forwardTimeout * (tries - 1)) + (FirstRetryDelay * (Math.Pow(2, tries - 1) - 1));

    public int Tries => tries;

    /// <summary>Where listen can be reached, for the replay command printed with a dead-lettered forward; set once it listens.</summary>
    public string ReplayBaseUrl { get; set; } = "http://127.0.0.1:9090";

    string IInspectorForwarding.HandlerName => HandlerName;

    public Uri Target => target;

    public async Task ForwardAsync(WebhookContext context, CancellationToken cancellationToken)
    {
        var outcome = await SendAsync(context.RawBody, context.Headers, context.Event.Id, cancellationToken);
        var id = TerminalText.Escape(context.Event.Id);
        if (outcome.Succeeded)
        {
            output.WriteLine($"           -> forwarded {id} to {target}: {outcome.StatusCode}");
            return;
        }

        var reason = TerminalText.Escape(outcome.StatusCode is { } code ? $"HTTP {code}" : $"{outcome.Error}: {outcome.ErrorDetail}");
        // A replayed dead-lettered forward gets one try more than it had, so "the last" is any try from the limit on.
        var next = context.Attempt >= tries
            ? $"gave up, dead-lettered; replay it with: curl -X POST {ReplayBaseUrl}/api/events/{Uri.EscapeDataString(context.Event.Id)}/replay"
            : $"retrying within {FirstRetryDelay.TotalSeconds * Math.Pow(2, context.Attempt - 1)} s";
        output.WriteLine($"           -> forwarding {id} failed (try {context.Attempt} of {Math.Max(tries, context.Attempt)}): {reason}; {next}");
        throw new ForwardFailedException($"forwarding to {target} failed: {reason}");
    }

    /// <summary>The inspector's "forward again": one more request to the app now, outside the inbox's retries.</summary>
    public async Task<string> ForwardAgainAsync(RecordedRequest request, CancellationToken cancellationToken)
    {
        if (request.BodyTruncated)
        {
            return "Not forwarded: the log did not keep this request's whole body.";
        }

        var outcome = await SendAsync(request.Body, request.Headers, request.EventId ?? "", cancellationToken);
        output.WriteLine(TerminalText.Escape($"           -> forwarded {request.EventId} again (from the inspector) to {target}: " +
            (outcome.StatusCode is { } status ? $"{status}" : $"{outcome.Error}: {outcome.ErrorDetail}")));
        return outcome.Succeeded
            ? $"Forwarded again to {target}: HTTP {outcome.StatusCode}."
            : $"Forwarding again to {target} failed: {(outcome.StatusCode is { } code ? $"HTTP {code}" : $"{outcome.Error}: {outcome.ErrorDetail}")}.";
    }

    private Task<SendOutcome> SendAsync(ReadOnlyMemory<byte> body, IEnumerable<KeyValuePair<string, string>> received, string eventId, CancellationToken cancellationToken)
    {
        var headers = signingKey is null
            // Only what the app needs to verify the webhook itself: the signature headers, as they came.
            ? received
                .Where(h => h.Key.StartsWith("telnyx-", StringComparison.OrdinalIgnoreCase) || h.Key.StartsWith("webhook-", StringComparison.OrdinalIgnoreCase))
                .ToList()
            : new Ed25519WebhookSigner(signingKey).Sign(body.Span, time.GetUtcNow(), eventId);
        return sender.SendAsync(new SendRequest(target, body, headers), cancellationToken);
    }

    private sealed class ForwardFailedException(string message) : Exception(message);
}
