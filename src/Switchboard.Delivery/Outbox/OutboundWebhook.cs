using System.Text;
using System.Text.Json;
using Switchboard.Events;
using Switchboard.Signing;

namespace Switchboard.Delivery.Outbox;

/// <summary>
/// One URL of a delivery's chain and how requests to it are signed: Ed25519 with the platform's default key
/// unless <see cref="KeyReference"/> names another key (required for the opt-in schemes).
/// </summary>
public sealed record WebhookTarget(Uri Url, SignatureScheme Scheme = SignatureScheme.Ed25519, string? KeyReference = null)
{
    /// <summary>How long this target has to answer, instead of the sender's timeout; null: the sender's.</summary>
    public TimeSpan? Timeout { get; init; }
}

/// <summary>
/// An event to deliver: its <c>data</c> object as JSON (stored once, sent unchanged in every attempt) and the
/// ordered chain of targets each attempt tries until one answers 2xx.
/// </summary>
public sealed record OutboundWebhook(string EventId, string EventType, string DataJson, IReadOnlyList<WebhookTarget> Targets)
{
    /// <summary>
    /// Deliveries with the same ordering key (a message id, a call session) are attempted one at a time, in the order they
    /// were published: one waits until every earlier one was delivered or failed for good. Null: no ordering (the default).
    /// </summary>
    public string? OrderingKey { get; init; }

    /// <summary>An outbound webhook for <paramref name="webhookEvent"/>, serialised as Telnyx does.</summary>
    public static OutboundWebhook From(WebhookEvent webhookEvent, IReadOnlyList<WebhookTarget> targets)
    {
        ArgumentNullException.ThrowIfNull(webhookEvent);
        return new OutboundWebhook(webhookEvent.Id, webhookEvent.EventType, Encoding.UTF8.GetString(webhookEvent.ToUtf8Bytes()), targets);
    }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(EventId))
        {
            throw new ArgumentException("a webhook needs an event id (data.id)", nameof(EventId));
        }

        if (string.IsNullOrWhiteSpace(EventType))
        {
            throw new ArgumentException($"webhook {EventId}: the event type is empty", nameof(EventType));
        }

        if (Targets is null || Targets.Count == 0)
        {
            throw new ArgumentException($"webhook {EventId}: there is no target URL to deliver to", nameof(Targets));
        }

        foreach (var target in Targets)
        {
            if (target?.Url is not { IsAbsoluteUri: true } url || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            {
                throw new ArgumentException($"webhook {EventId}: target '{target?.Url}' is not an absolute http or https URL", nameof(Targets));
            }

            if (target.Scheme != SignatureScheme.Ed25519 && string.IsNullOrEmpty(target.KeyReference))
            {
                throw new ArgumentException($"webhook {EventId}: target '{url}' uses {target.Scheme}, which needs a key reference", nameof(Targets));
            }
        }

        if (!IsJsonObject(DataJson))
        {
            throw new ArgumentException($"webhook {EventId}: the data is not a JSON object", nameof(DataJson));
        }
    }

    private static bool IsJsonObject(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return false;
        }

        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            reader.Skip();
            return !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

/// <summary>What publishing did: <see cref="Created"/> is false when the event id was already published.</summary>
public readonly record struct PublishResult(string EventId, bool Created);

/// <summary>Finds the signer for a target: the default Ed25519 key, or a named key of the target's scheme.</summary>
public interface IWebhookSignerResolver
{
    /// <summary>The signer, or null if no key of that name and scheme exists.</summary>
    IWebhookSigner? Find(SignatureScheme scheme, string? keyReference);
}

/// <summary>The platform's signing keys: one default Ed25519 key and any number of named keys.</summary>
public sealed class WebhookSigningKeys : IWebhookSignerResolver
{
    private readonly Ed25519WebhookSigner _default;
    private readonly Dictionary<string, IWebhookSigner> _named = new(StringComparer.Ordinal);

    public WebhookSigningKeys(Ed25519PrivateKey defaultKey)
    {
        ArgumentNullException.ThrowIfNull(defaultKey);
        _default = new Ed25519WebhookSigner(defaultKey);
    }

    /// <summary>Adds a named key (a secret of the seed HMAC scheme, a Standard Webhooks key, another Ed25519 key).</summary>
    public WebhookSigningKeys Add(string keyReference, IWebhookSigner signer)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyReference);
        ArgumentNullException.ThrowIfNull(signer);
        _named[keyReference] = signer;
        return this;
    }

    public IWebhookSigner? Find(SignatureScheme scheme, string? keyReference) =>
        keyReference is null
            ? scheme == SignatureScheme.Ed25519 ? _default : null
            : _named.TryGetValue(keyReference, out var signer) && signer.Scheme == scheme ? signer : null;
}
