using Switchboard.Signing;

namespace Switchboard.Receiver;

/// <summary>Settings of the webhook receiver. Validated at start-up: a bad configuration stops the app.</summary>
public sealed class TelnyxWebhookOptions
{
    /// <summary>The scheme to verify. Ed25519 (Telnyx) unless you opt into another.</summary>
    public SignatureScheme Scheme { get; set; } = SignatureScheme.Ed25519;

    /// <summary>Ed25519 public keys, base64 of 32 bytes. Several during a key rotation.</summary>
    public IList<string> PublicKeys { get; } = [];

    /// <summary>Shared secrets for <see cref="SignatureScheme.SeedHmac"/>.</summary>
    public IList<string> HmacSecrets { get; } = [];

    /// <summary><c>whsec_</c> / <c>whpk_</c> keys for Standard Webhooks.</summary>
    public IList<string> StandardWebhooksKeys { get; } = [];

    /// <summary>Largest accepted distance between the signature timestamp and now. Default 5 minutes.</summary>
    public TimeSpan Tolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Largest accepted body; larger requests get 413. Default 1 MiB.</summary>
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Local development only: accept webhooks without verifying them. Logs a warning at start and marks every
    /// stored webhook unverified. Without it, a missing key is a start-up error.
    /// </summary>
    public bool AcceptUnsigned { get; set; }

    /// <summary>
    /// Also keep a record of every request, accepted, duplicate or rejected (rejected ones are never handled), for
    /// an inspector such as <c>switchboard listen</c>. Off by default: duplicates and rejections are counted in
    /// metrics and logged only.
    /// </summary>
    public bool RecordAllRequests { get; set; }

    /// <summary>
    /// The most records the request log of <see cref="RecordAllRequests"/> keeps; past it, the oldest are deleted.
    /// Default 1,000. Between 1 and 1,000,000.
    /// </summary>
    public int RequestLogMaxCount { get; set; } = 1000;

    /// <summary>
    /// The most bytes the request log of <see cref="RecordAllRequests"/> keeps (bodies, headers and the rest of each
    /// record, as stored); past it, the oldest records are deleted. Default 64 MiB. Between 1 MiB and 16 GiB.
    /// </summary>
    public long RequestLogMaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// How much of a rejected request's body the request log keeps: its first bytes, with the whole length noted.
    /// Anyone can send a rejected request, so none of it is kept whole. Default 4 KiB. Between 0 and 1 MiB.
    /// </summary>
    public int RejectedBodyBytesKept { get; set; } = 4 * 1024;

    /// <summary>
    /// The folder of the SQLite database (<c>telnyx-webhooks.db</c>). Default <c>data</c>. One receiver process per file.
    /// Unused when the host chose another store (<c>UsePostgreSql</c>, in the package Switchboard.Receiver.PostgreSql, or
    /// <c>services.AddWorkStore(...)</c>): the receiver keeps its queues in the host's one store.
    /// </summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>
    /// Whether this process runs the handlers (the inbox queue's worker). Default true. Off: the process only ingests,
    /// and the events wait for a process that runs them on the same store (PostgreSQL, several instances).
    /// </summary>
    public bool RunHandlers { get; set; } = true;

    /// <summary>How many events' handlers run at once. Default 8.</summary>
    public int HandlerConcurrency { get; set; } = 8;

    /// <summary>Runs of an event's handlers before it is dead-lettered. Default 5.</summary>
    public int MaxHandlerAttempts { get; set; } = 5;

    /// <summary>
    /// Longest wait before the first retry of a failed handler; doubles on each retry, up to one hour. Each retry waits
    /// a random time between half of that and all of it (jitter), so events that failed together spread out. Default 10 s.
    /// </summary>
    public TimeSpan HandlerRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long handled and dead-lettered events stay in the inbox (and so are recognised as duplicates) before
    /// they are deleted. At least one day, far beyond the tolerance and Telnyx's retry schedule. Default 30 days.
    /// </summary>
    public TimeSpan KeepHandledFor { get; set; } = TimeSpan.FromDays(30);

    internal string SqlitePath => Path.Combine(DataDirectory, "telnyx-webhooks.db");

    internal IEnumerable<string> Validate()
    {
        if (MaxBodyBytes is < 1024 or > 64 * 1024 * 1024)
        {
            yield return $"{nameof(MaxBodyBytes)} must be between 1 KiB and 64 MiB; got {MaxBodyBytes}";
        }

        if (RequestLogMaxCount is < 1 or > 1_000_000)
        {
            yield return $"{nameof(RequestLogMaxCount)} must be between 1 and 1,000,000; got {RequestLogMaxCount}";
        }

        if (RequestLogMaxBytes is < 1024 * 1024 or > 16L * 1024 * 1024 * 1024)
        {
            yield return $"{nameof(RequestLogMaxBytes)} must be between 1 MiB and 16 GiB; got {RequestLogMaxBytes}";
        }

        if (RejectedBodyBytesKept is < 0 or > 1024 * 1024)
        {
            yield return $"{nameof(RejectedBodyBytesKept)} must be between 0 and 1 MiB; got {RejectedBodyBytesKept}";
        }

        if (Tolerance <= TimeSpan.Zero || Tolerance > TimeSpan.FromHours(1))
        {
            yield return $"{nameof(Tolerance)} must be between 0 and 1 hour; got {Tolerance}";
        }

        if (HandlerConcurrency is < 1 or > 1024)
        {
            yield return $"{nameof(HandlerConcurrency)} must be between 1 and 1024; got {HandlerConcurrency}";
        }

        if (MaxHandlerAttempts is < 1 or > 100)
        {
            yield return $"{nameof(MaxHandlerAttempts)} must be between 1 and 100; got {MaxHandlerAttempts}";
        }

        if (HandlerRetryDelay <= TimeSpan.Zero)
        {
            yield return $"{nameof(HandlerRetryDelay)} must be positive; got {HandlerRetryDelay}";
        }

        if (KeepHandledFor < TimeSpan.FromDays(1))
        {
            yield return $"{nameof(KeepHandledFor)} must be at least 1 day (duplicates are recognised only while events are kept); got {KeepHandledFor}";
        }

        if (AcceptUnsigned)
        {
            yield break;
        }

        var keys = Scheme switch
        {
            SignatureScheme.Ed25519 => PublicKeys,
            SignatureScheme.SeedHmac => HmacSecrets,
            _ => StandardWebhooksKeys,
        };
        if (keys.Count == 0)
        {
            yield return $"no key is configured for the {Scheme} scheme: set {KeyOptionName(Scheme)}, or AcceptUnsigned for local development only";
            yield break;
        }

        for (var i = 0; i < keys.Count; i++)
        {
            string? error = null;
            var valid = Scheme switch
            {
                SignatureScheme.Ed25519 => Ed25519PublicKey.TryParse(keys[i], out _, out error),
                SignatureScheme.SeedHmac => !string.IsNullOrEmpty(keys[i]) || (error = "the secret is empty") is null,
                _ => StandardWebhooksKey.TryParse(keys[i], out _, out error),
            };
            if (!valid)
            {
                yield return $"{KeyOptionName(Scheme)}[{i}]: {error}";
            }
        }
    }

    internal IWebhookVerifier CreateVerifier(TimeProvider time) => Scheme switch
    {
        SignatureScheme.Ed25519 => Ed25519WebhookVerifier.FromBase64(PublicKeys, time, Tolerance),
        SignatureScheme.SeedHmac => new SeedHmacWebhookVerifier(HmacSecrets, time, Tolerance),
        _ => new StandardWebhooksVerifier(StandardWebhooksKeys.Select(StandardWebhooksKey.Parse), time, Tolerance),
    };

    private static string KeyOptionName(SignatureScheme scheme) => scheme switch
    {
        SignatureScheme.Ed25519 => nameof(PublicKeys),
        SignatureScheme.SeedHmac => nameof(HmacSecrets),
        _ => nameof(StandardWebhooksKeys),
    };
}
