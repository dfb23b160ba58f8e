using Switchboard.Delivery.Http;
using Switchboard.Delivery.Outbox;
using Switchboard.DurableWork;
using Switchboard.Signing;

namespace Switchboard.Delivery;

/// <summary>Everything <c>AddWebhookDelivery</c> sets up, with documented defaults. Validated when the host starts.</summary>
public sealed class WebhookDeliveryOptions
{
    /// <summary>The folder of the embedded SQLite store (<c>switchboard.db</c> in it). Default <c>data</c>. Unused when the host chose
    /// its store with <c>services.AddWorkStore(...)</c>.</summary>
    public string DataFolder { get; set; } = "data";

    /// <summary>SQLite syncs every commit to disk (survives power loss). Default true; see <see cref="SqliteWorkStoreOptions.SynchronousFull"/>.</summary>
    public bool SqliteSynchronousFull { get; set; } = true;

    /// <summary>The platform's default Ed25519 signing key. Required unless <see cref="SigningKeyFile"/> is set.</summary>
    public Ed25519PrivateKey? SigningKey { get; set; }

    /// <summary>A file holding the default Ed25519 signing key (base64, as <c>switchboard keys generate</c> writes it); read at start.</summary>
    public string? SigningKeyFile { get; set; }

    /// <summary>Adds named keys for targets that use another key or one of the opt-in schemes.</summary>
    public Action<WebhookSigningKeys>? ConfigureKeys { get; set; }

    /// <summary>Schedule, lease, concurrency, retention of the outbox and its dispatcher.</summary>
    public DeliveryOptions Delivery { get; set; } = new();

    /// <summary>Timeout, SSRF guard (private networks refused by default) and connection pooling of the HTTP sender.</summary>
    public HttpWebhookSenderOptions Http { get; set; } = new();

    /// <summary>Runs the dispatcher (and the pruner) in this process. Default true; false for a process that only publishes and queries.</summary>
    public bool RunDispatcher { get; set; } = true;

    /// <summary>Every problem, each as a sentence; none when the options are usable.</summary>
    internal IEnumerable<string> Problems()
    {
        if (SigningKey is null && string.IsNullOrWhiteSpace(SigningKeyFile))
        {
            yield return "webhook delivery needs a signing key: set SigningKey or SigningKeyFile";
        }
        else if (SigningKey is null && !File.Exists(SigningKeyFile))
        {
            yield return $"SigningKeyFile {SigningKeyFile} does not exist";
        }

        if (Delivery is { QueueName: not DeliveryOptions.DefaultQueueName })
        {
            yield return $"Delivery: QueueName is '{DeliveryOptions.DefaultQueueName}' with AddWebhookDelivery (its queue's worker is registered under that name)";
        }

        if (string.IsNullOrWhiteSpace(DataFolder))
        {
            yield return "webhook delivery needs a DataFolder for its SQLite store";
        }

        foreach (var (name, validate) in new (string, Action)[]
        {
            (nameof(Delivery), () => { ArgumentNullException.ThrowIfNull(Delivery); Delivery.Validate(); Delivery.Retention.Validate(); }),
            (nameof(Http), () => { ArgumentNullException.ThrowIfNull(Http); Http.Validate(); }),
        })
        {
            string? problem = null;
            try
            {
                validate();
            }
            catch (ArgumentException ex)
            {
                problem = $"{name}: {ex.Message}";
            }

            if (problem is not null)
            {
                yield return problem;
            }
        }
    }

    internal Ed25519PrivateKey ReadSigningKey() => SigningKey ?? Ed25519PrivateKey.ReadFromFile(SigningKeyFile!);
}
