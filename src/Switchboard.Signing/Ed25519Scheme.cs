using System.Globalization;

namespace Switchboard.Signing;

/// <summary>
/// Signs as Telnyx does: Ed25519 over the UTF-8 of <c>{telnyx-timestamp}|{raw body}</c>, timestamp in Unix
/// seconds, signature as padded base64 in <c>telnyx-signature-ed25519</c>.
/// </summary>
public sealed class Ed25519WebhookSigner(Ed25519PrivateKey key) : IWebhookSigner
{
    public SignatureScheme Scheme => SignatureScheme.Ed25519;

    public IReadOnlyList<KeyValuePair<string, string>> Sign(ReadOnlySpan<byte> body, DateTimeOffset timestamp, string webhookId)
    {
        var (signature, seconds) = SignParts(body, timestamp);
        return [new(TelnyxHeaders.Timestamp, seconds), new(TelnyxHeaders.Signature, signature)];
    }

    /// <summary>The base64 signature and the timestamp header value, for callers that write headers themselves.</summary>
    public (string Signature, string Timestamp) SignParts(ReadOnlySpan<byte> body, DateTimeOffset timestamp)
    {
        ArgumentNullException.ThrowIfNull(key);
        var seconds = timestamp.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var content = SignedContent.Create(seconds, (byte)'|', body);
        Span<byte> signature = stackalloc byte[Ed25519PublicKey.SignatureLength];
        key.Sign(content.Bytes, signature);
        return (Convert.ToBase64String(signature), seconds);
    }
}

/// <summary>
/// Verifies Telnyx webhooks against one or more public keys (several during a key rotation). Fails closed
/// when no key is configured; a key that cannot be parsed makes every verification fail with
/// <see cref="VerificationFailure.InvalidKey"/>.
/// </summary>
public sealed class Ed25519WebhookVerifier : IWebhookVerifier
{
    private readonly Ed25519PublicKey[] _keys;
    private readonly string? _keyError;
    private readonly TimeProvider _time;
    private readonly TimeSpan _tolerance;

    public Ed25519WebhookVerifier(IEnumerable<Ed25519PublicKey> keys, TimeProvider? time = null, TimeSpan? tolerance = null)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _keys = [.. keys];
        _time = time ?? TimeProvider.System;
        _tolerance = tolerance ?? Timestamps.DefaultTolerance;
    }

    private Ed25519WebhookVerifier(Ed25519PublicKey[] keys, string? keyError, TimeProvider? time, TimeSpan? tolerance)
        : this(keys, time, tolerance) => _keyError = keyError;

    /// <summary>Builds a verifier from base64 public keys; never throws, invalid keys surface as results.</summary>
    public static Ed25519WebhookVerifier FromBase64(IEnumerable<string> publicKeys, TimeProvider? time = null, TimeSpan? tolerance = null)
    {
        ArgumentNullException.ThrowIfNull(publicKeys);
        var keys = new List<Ed25519PublicKey>();
        string? firstError = null;
        var index = 0;
        foreach (var text in publicKeys)
        {
            if (Ed25519PublicKey.TryParse(text, out var key, out var error))
            {
                keys.Add(key);
            }
            else
            {
                firstError ??= $"public key #{index + 1}: {error}";
            }

            index++;
        }

        return new Ed25519WebhookVerifier([.. keys], firstError, time, tolerance);
    }

    public SignatureScheme Scheme => SignatureScheme.Ed25519;

    public TimeSpan Tolerance => _tolerance;

    public VerificationResult Verify<THeaders>(ReadOnlySpan<byte> body, THeaders headers) where THeaders : IWebhookHeaders
    {
        if (_keyError is not null)
        {
            return VerificationResult.Fail(VerificationFailure.InvalidKey, _keyError);
        }

        if (_keys.Length == 0)
        {
            return VerificationResult.Fail(VerificationFailure.NoKeyConfigured, "no public key is configured; refusing to accept unverified webhooks");
        }

        var signatureHeader = headers.Get(TelnyxHeaders.Signature);
        if (string.IsNullOrEmpty(signatureHeader))
        {
            return VerificationResult.Fail(VerificationFailure.MissingHeader, headers.Get("telnyx-signature") is null
                ? $"missing header '{TelnyxHeaders.Signature}'"
                : $"missing header '{TelnyxHeaders.Signature}' (found 'telnyx-signature': API v2 webhooks are signed in '{TelnyxHeaders.Signature}')");
        }

        var timestampHeader = headers.Get(TelnyxHeaders.Timestamp);
        if (Timestamps.Check(TelnyxHeaders.Timestamp, timestampHeader, milliseconds: false, _time, _tolerance, out _) is { } stale)
        {
            return stale;
        }

        Span<byte> signature = stackalloc byte[Ed25519PublicKey.SignatureLength];
        if (Base64Signature.TryDecode(signatureHeader, Ed25519PublicKey.SignatureLength, signature, $"header '{TelnyxHeaders.Signature}'") is { } malformed)
        {
            return malformed;
        }

        using var content = SignedContent.Create(timestampHeader!, (byte)'|', body);
        foreach (var key in _keys)
        {
            if (key.Verify(content.Bytes, signature))
            {
                return VerificationResult.Valid;
            }
        }

        return VerificationResult.Fail(VerificationFailure.Mismatch, MismatchDetail);
    }

    internal const string MismatchDetail =
        "signature does not match: verify the raw request bytes exactly as received (not re-serialised JSON) with the account's public key";
}
