using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Switchboard.Signing;

/// <summary>
/// A Standard Webhooks key: a <c>whsec_</c> secret (<c>v1</c>, HMAC-SHA256), a <c>whsk_</c> Ed25519 private
/// key (<c>v1a</c>, signs and verifies) or a <c>whpk_</c> Ed25519 public key (<c>v1a</c>, verifies only).
/// The part after the prefix is base64 of the raw key bytes.
/// </summary>
public sealed class StandardWebhooksKey
{
    public const string SecretPrefix = "whsec_";
    public const string PrivateKeyPrefix = "whsk_";
    public const string PublicKeyPrefix = "whpk_";

    private StandardWebhooksKey(byte[]? secret, Ed25519PrivateKey? privateKey, Ed25519PublicKey? publicKey)
    {
        Secret = secret;
        PrivateKey = privateKey;
        PublicKey = publicKey ?? privateKey?.PublicKey;
    }

    /// <summary><c>v1</c> for an HMAC secret, <c>v1a</c> for an Ed25519 key.</summary>
    public string Version => Secret is null ? "v1a" : "v1";

    internal byte[]? Secret { get; }

    internal Ed25519PrivateKey? PrivateKey { get; }

    internal Ed25519PublicKey? PublicKey { get; }

    public static StandardWebhooksKey FromSecret(ReadOnlySpan<byte> secret) => new(secret.ToArray(), null, null);

    public static StandardWebhooksKey FromPrivateKey(Ed25519PrivateKey key) => new(null, key, null);

    public static StandardWebhooksKey FromPublicKey(Ed25519PublicKey key) => new(null, null, key);

    public static bool TryParse(string? text, [NotNullWhen(true)] out StandardWebhooksKey? key, [NotNullWhen(false)] out string? error)
    {
        key = null;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            error = "the key is empty";
            return false;
        }

        var prefix = text.StartsWith(SecretPrefix, StringComparison.Ordinal) ? SecretPrefix
            : text.StartsWith(PrivateKeyPrefix, StringComparison.Ordinal) ? PrivateKeyPrefix
            : text.StartsWith(PublicKeyPrefix, StringComparison.Ordinal) ? PublicKeyPrefix
            : null;
        if (prefix is null)
        {
            error = $"a Standard Webhooks key starts with '{SecretPrefix}', '{PrivateKeyPrefix}' or '{PublicKeyPrefix}'";
            return false;
        }

        byte[] raw;
        try
        {
            raw = Convert.FromBase64String(text[prefix.Length..]);
        }
        catch (FormatException)
        {
            error = $"the part after '{prefix}' is not base64";
            return false;
        }

        switch (prefix)
        {
            case SecretPrefix when raw.Length is >= 24 and <= 64:
                key = FromSecret(raw);
                break;
            case SecretPrefix:
                error = $"a '{SecretPrefix}' secret is 24 to 64 bytes; got {raw.Length}";
                return false;
            case PrivateKeyPrefix:
                // Accept the 32-byte seed, or libsodium's 64-byte seed||public key.
                if (!Ed25519PrivateKey.TryImport(raw.Length == 64 ? raw.AsSpan(0, 32) : raw, out var privateKey, out error))
                {
                    return false;
                }

                key = FromPrivateKey(privateKey);
                break;
            default:
                if (!Ed25519PublicKey.TryImport(raw, out var publicKey, out error))
                {
                    return false;
                }

                key = FromPublicKey(publicKey);
                break;
        }

        error = null;
        return true;
    }

    public static StandardWebhooksKey Parse(string text) =>
        TryParse(text, out var key, out var error) ? key : throw new FormatException(error);

    /// <summary>A new random <c>v1</c> secret of 32 bytes.</summary>
    public static StandardWebhooksKey GenerateSecret() => FromSecret(RandomNumberGenerator.GetBytes(32));

    public override string ToString() => Secret is not null
        ? SecretPrefix + Convert.ToBase64String(Secret)
        : PrivateKey is not null
            ? PrivateKeyPrefix + PrivateKey.ExportBase64()
            : PublicKeyPrefix + PublicKey!.ToBase64();

    /// <summary>The public form: <c>whpk_</c> for an Ed25519 key, the secret itself for <c>v1</c>.</summary>
    public string ToPublicString() => Secret is not null ? ToString() : PublicKeyPrefix + PublicKey!.ToBase64();
}

/// <summary>
/// Signs per Standard Webhooks: <c>webhook-id</c>, <c>webhook-timestamp</c> (seconds) and one
/// <c>webhook-signature</c> entry per key (<c>v1,…</c> or <c>v1a,…</c>), space-separated, so receivers can
/// rotate keys without dropping a webhook.
/// </summary>
public sealed class StandardWebhooksSigner : IWebhookSigner
{
    private readonly StandardWebhooksKey[] _keys;

    public StandardWebhooksSigner(IEnumerable<StandardWebhooksKey> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _keys = [.. keys];
        if (_keys.Length == 0 || _keys.Any(k => k.Secret is null && k.PrivateKey is null))
        {
            throw new ArgumentException("signing needs at least one key, each a whsec_ secret or a whsk_ private key", nameof(keys));
        }
    }

    public SignatureScheme Scheme => _keys[0].Secret is null ? SignatureScheme.StandardWebhooksV1a : SignatureScheme.StandardWebhooksV1;

    public IReadOnlyList<KeyValuePair<string, string>> Sign(ReadOnlySpan<byte> body, DateTimeOffset timestamp, string webhookId)
    {
        ArgumentException.ThrowIfNullOrEmpty(webhookId);
        var seconds = timestamp.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var content = SignedContent.Create(webhookId, (byte)'.', seconds, (byte)'.', body);
        var signatures = new StringBuilder();
        foreach (var key in _keys)
        {
            if (signatures.Length > 0)
            {
                signatures.Append(' ');
            }

            signatures.Append(key.Version).Append(',');
            if (key.Secret is not null)
            {
                signatures.Append(Convert.ToBase64String(HMACSHA256.HashData(key.Secret, content.Bytes)));
            }
            else
            {
                signatures.Append(Convert.ToBase64String(key.PrivateKey!.Sign(content.Bytes)));
            }
        }

        return
        [
            new(StandardWebhooksHeaders.Id, webhookId),
            new(StandardWebhooksHeaders.Timestamp, seconds),
            new(StandardWebhooksHeaders.Signature, signatures.ToString()),
        ];
    }
}

/// <summary>
/// Verifies Standard Webhooks <c>v1</c> and <c>v1a</c> signatures. The header may carry several
/// space-separated signatures; one matching any configured key is enough.
/// </summary>
public sealed class StandardWebhooksVerifier : IWebhookVerifier
{
    private readonly StandardWebhooksKey[] _keys;
    private readonly TimeProvider _time;
    private readonly TimeSpan _tolerance;

    public StandardWebhooksVerifier(IEnumerable<StandardWebhooksKey> keys, TimeProvider? time = null, TimeSpan? tolerance = null)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _keys = [.. keys];
        _time = time ?? TimeProvider.System;
        _tolerance = tolerance ?? Timestamps.DefaultTolerance;
    }

    public SignatureScheme Scheme => _keys.Length > 0 && _keys[0].Secret is null ? SignatureScheme.StandardWebhooksV1a : SignatureScheme.StandardWebhooksV1;

    public VerificationResult Verify<THeaders>(ReadOnlySpan<byte> body, THeaders headers) where THeaders : IWebhookHeaders
    {
        if (_keys.Length == 0)
        {
            return VerificationResult.Fail(VerificationFailure.NoKeyConfigured, "no Standard Webhooks key is configured; refusing to accept unverified webhooks");
        }

        var id = headers.Get(StandardWebhooksHeaders.Id);
        if (string.IsNullOrEmpty(id))
        {
            return VerificationResult.Fail(VerificationFailure.MissingHeader, $"missing header '{StandardWebhooksHeaders.Id}'");
        }

        var signatureHeader = headers.Get(StandardWebhooksHeaders.Signature);
        if (string.IsNullOrEmpty(signatureHeader))
        {
            return VerificationResult.Fail(VerificationFailure.MissingHeader, $"missing header '{StandardWebhooksHeaders.Signature}'");
        }

        var timestampHeader = headers.Get(StandardWebhooksHeaders.Timestamp);
        if (Timestamps.Check(StandardWebhooksHeaders.Timestamp, timestampHeader, milliseconds: false, _time, _tolerance, out _) is { } stale)
        {
            return stale;
        }

        using var content = SignedContent.Create(id, (byte)'.', timestampHeader, (byte)'.', body);
        VerificationResult? firstProblem = null;
        var comparedAny = false;
        Span<byte> decoded = stackalloc byte[Ed25519PublicKey.SignatureLength];
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        foreach (var range in signatureHeader.AsSpan().Split(' '))
        {
            var entry = signatureHeader.AsSpan(range);
            var comma = entry.IndexOf(',');
            if (entry.IsEmpty)
            {
                continue;
            }

            if (comma <= 0)
            {
                firstProblem ??= VerificationResult.Fail(VerificationFailure.MalformedSignature, $"'{StandardWebhooksHeaders.Signature}' entries look like 'v1,<base64>'");
                continue;
            }

            var version = entry[..comma];
            var encoded = entry[(comma + 1)..];
            var isV1 = version.SequenceEqual("v1");
            if (!isV1 && !version.SequenceEqual("v1a"))
            {
                continue; // a version we do not speak; another entry may match
            }

            var length = isV1 ? HMACSHA256.HashSizeInBytes : Ed25519PublicKey.SignatureLength;
            if (Base64Signature.TryDecode(encoded, length, decoded, $"the {version} signature") is { } malformed)
            {
                firstProblem ??= malformed;
                continue;
            }

            foreach (var key in _keys)
            {
                if (isV1 && key.Secret is not null)
                {
                    comparedAny = true;
                    HMACSHA256.HashData(key.Secret, content.Bytes, mac);
                    if (CryptographicOperations.FixedTimeEquals(mac, decoded[..length]))
                    {
                        return VerificationResult.Valid;
                    }
                }
                else if (!isV1 && key.PublicKey is not null)
                {
                    comparedAny = true;
                    if (key.PublicKey.Verify(content.Bytes, decoded))
                    {
                        return VerificationResult.Valid;
                    }
                }
            }
        }

        return comparedAny || firstProblem is null
            ? VerificationResult.Fail(VerificationFailure.Mismatch, comparedAny
                ? "no signature matches: verify the raw request bytes exactly as received with the endpoint's key"
                : $"'{StandardWebhooksHeaders.Signature}' has no signature of a version the configured keys can check")
            : firstProblem.Value;
    }
}
