using Switchboard.Delivery.Outbox;
using Switchboard.Events;
using Switchboard.Platform.Webhooks;
using Switchboard.Signing;

namespace Switchboard.Platform;

/// <summary>Which parts of the platform a process runs: all of it, only the API, or only the background work.</summary>
public enum PlatformRole
{
    /// <summary>The API, the lifecycle steps and the webhook dispatcher (one process, SQLite's only choice).</summary>
    All,
    /// <summary>The API alone: it stores and schedules; workers on the same PostgreSQL database do the rest.</summary>
    Api,
    /// <summary>The lifecycle steps and the dispatcher, no API (any number, on one PostgreSQL database).</summary>
    Worker,
}

/// <summary>How the platform runs, with the defaults <c>switchboard serve</c> uses. Validated at start.</summary>
public sealed class PlatformOptions
{
    /// <summary>The key every API request must carry as <c>Authorization: Bearer ...</c>.</summary>
    public string ApiKey { get; set; } = "";

    /// <summary>The default Ed25519 key webhooks are signed with.</summary>
    public Ed25519PrivateKey? SigningKey { get; set; }

    /// <summary>The folder of the SQLite database (<c>switchboard.db</c>). Unused with PostgreSQL.</summary>
    public string DataDirectory { get; set; } = ".switchboard";

    /// <summary>PostgreSQL instead of SQLite: several API and worker processes on one database.</summary>
    public string? PostgresConnectionString { get; set; }

    public PlatformRole Role { get; set; } = PlatformRole.All;

    /// <summary>When each attempt of a webhook is made. Default <c>0s,1m,5m,15m,1h</c> (the seed's).</summary>
    public DeliverySchedule RetrySchedule { get; set; } = DeliverySchedule.Default;

    /// <summary>How many of a delivery's newest attempts keep their requests in its log (see <see cref="DeliveryOptions.AttemptLogLimit"/>). Default 50.</summary>
    public int AttemptLogLimit { get; set; } = new DeliveryOptions().AttemptLogLimit;

    /// <summary>How long an endpoint has to answer one request before it counts as failed. Default 2 s, as Telnyx.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The pause between two steps of a lifecycle (queued → sent → delivered). Default 500 ms; 0 for tests and benchmarks.</summary>
    public TimeSpan LifecycleDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The account-wide webhook URLs set at start (null: keep what the database holds).</summary>
    public string? GlobalWebhookUrl { get; set; }

    public string? GlobalWebhookFailoverUrl { get; set; }

    /// <summary>
    /// Telnyx's message event set for the profiles that do not choose theirs (<c>switchboard_event_types</c> null):
    /// <c>message.sent</c>, <c>message.finalized</c> (which carries the outcome) and <c>message.received</c>, without the
    /// seed's <c>message.delivered</c> and <c>message.failed</c>. Off by default: the seed's five events.
    /// </summary>
    public bool TelnyxEvents { get; set; }

    /// <summary>
    /// Refuse webhooks to loopback and private addresses (the delivery engine's SSRF guard). Off by default: local
    /// development sends webhooks to apps on this machine.
    /// </summary>
    public bool BlockPrivateTargets { get; set; }

    /// <summary>
    /// The base URL links to this platform are made with (recordings). Default: the first URL it listens on. Set it when
    /// clients reach the platform under another address (a proxy, another host name).
    /// </summary>
    public string PublicBaseUrl { get; set; } = "";

    /// <summary>PostgreSQL: how old a worker's heartbeat may get before the others take over its work. Default 10 s.</summary>
    public TimeSpan TakeoverAfter { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long finished things are kept: webhook deliveries (with their attempts), messages, calls and recordings, each
    /// deleted once it finished this long ago (see docs/platform.md). Default 30 days, as Telnyx keeps its webhook
    /// delivery log; at least 1 minute.
    /// </summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    internal bool RunsApi => Role is PlatformRole.All or PlatformRole.Api;

    internal bool RunsWorkers => Role is PlatformRole.All or PlatformRole.Worker;

    internal IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(ApiKey) || ApiKey.Length < 16 || ApiKey.Any(c => c is <= ' ' or > '~'))
        {
            yield return "the API key must be at least 16 printable ASCII characters without spaces";
        }

        if (SigningKey is null)
        {
            yield return "a signing key is required";
        }

        if (PostgresConnectionString is null && Role != PlatformRole.All)
        {
            yield return $"--role {Role.ToString().ToLowerInvariant()} needs PostgreSQL: with SQLite one process runs everything";
        }

        if (PostgresConnectionString is null && string.IsNullOrWhiteSpace(DataDirectory))
        {
            yield return "a data folder is required with SQLite";
        }

        if (AttemptLogLimit < 1)
        {
            yield return $"the attempt log limit must be at least 1; got {AttemptLogLimit}";
        }

        if (AttemptTimeout <= TimeSpan.Zero || AttemptTimeout > TimeSpan.FromMinutes(5))
        {
            yield return $"the attempt timeout must be between 0 and 5 minutes; got {AttemptTimeout}";
        }

        if (LifecycleDelay < TimeSpan.Zero || LifecycleDelay > TimeSpan.FromHours(1))
        {
            yield return $"the lifecycle delay must be between 0 and 1 hour; got {LifecycleDelay}";
        }

        if (Retention < TimeSpan.FromMinutes(1) || Retention > TimeSpan.FromDays(3650))
        {
            yield return $"the retention must be between 1 minute and 3650 days; got {Retention}";
        }

        foreach (var (name, url) in new[] { ("global webhook URL", GlobalWebhookUrl), ("global webhook failover URL", GlobalWebhookFailoverUrl), ("public URL", PublicBaseUrl.Length == 0 ? null : PublicBaseUrl) })
        {
            if (url is not null && !WebhookUrls.IsHttpUrl(url))
            {
                yield return $"the {name} must be an absolute http or https URL without spaces, control or format characters; got '{TerminalText.Escape(url)}'";
            }
        }
    }
}
