namespace Switchboard.Signing;

/// <summary>How a webhook is signed. <see cref="Ed25519"/> is the default everywhere; the others are opt-in.</summary>
public enum SignatureScheme
{
    /// <summary>Telnyx API v2: Ed25519 over <c>{timestamp}|{body}</c>, timestamp in seconds.</summary>
    Ed25519 = 0,

    /// <summary>
    /// Legacy, seed-compatible: HMAC-SHA256 (lowercase hex) over <c>{timestamp}.{body}</c> with a shared
    /// secret, timestamp in milliseconds, in the Telnyx header names. Only for receivers written against the seed.
    /// </summary>
    SeedHmac,

    /// <summary>Standard Webhooks <c>v1</c>: HMAC-SHA256 with a <c>whsec_</c> secret.</summary>
    StandardWebhooksV1,

    /// <summary>Standard Webhooks <c>v1a</c>: Ed25519 with <c>whsk_</c>/<c>whpk_</c> keys.</summary>
    StandardWebhooksV1a,
}

/// <summary>Signs the exact bytes of a webhook body, producing the headers to send with it.</summary>
public interface IWebhookSigner
{
    SignatureScheme Scheme { get; }

    /// <summary>
    /// Returns the signature headers for <paramref name="body"/> sent at <paramref name="timestamp"/>.
    /// <paramref name="webhookId"/> is the event id; only Standard Webhooks puts it in a header (<c>webhook-id</c>).
    /// </summary>
    IReadOnlyList<KeyValuePair<string, string>> Sign(ReadOnlySpan<byte> body, DateTimeOffset timestamp, string webhookId);
}

/// <summary>Verifies the raw bytes of a webhook body against its headers. Never throws on bad input.</summary>
public interface IWebhookVerifier
{
    SignatureScheme Scheme { get; }

    VerificationResult Verify<THeaders>(ReadOnlySpan<byte> body, THeaders headers) where THeaders : IWebhookHeaders;
}
