using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Switchboard.Signing;

/// <summary>
/// Legacy, seed-compatible signing, opt-in only: HMAC-SHA256 as lowercase hex over
/// <c>{timestamp}.{raw body}</c>, timestamp in Unix milliseconds, keyed with a shared <b>secret</b>, in the
/// Telnyx header names. Real Telnyx does not sign this way; it exists for receivers written against the seed.
/// </summary>
public sealed class SeedHmacWebhookSigner : IWebhookSigner
{
    private readonly byte[] _secret;

    public SeedHmacWebhookSigner(string secret)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        _secret = Encoding.UTF8.GetBytes(secret);
    }

    public SignatureScheme Scheme => SignatureScheme.SeedHmac;

    public IReadOnlyList<KeyValuePair<string, string>> Sign(ReadOnlySpan<byte> body, DateTimeOffset timestamp, string webhookId)
    {
        var milliseconds = timestamp.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        using var content = SignedContent.Create(milliseconds, (byte)'.', body);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_secret, content.Bytes, mac);
        return [new(TelnyxHeaders.Timestamp, milliseconds), new(TelnyxHeaders.Signature, Convert.ToHexStringLower(mac))];
    }
}

/// <summary>Verifies the seed-compatible HMAC scheme with one or more shared secrets, in constant time.</summary>
public sealed class SeedHmacWebhookVerifier : IWebhookVerifier
{
    private readonly byte[][] _secrets;
    private readonly TimeProvider _time;
    private readonly TimeSpan _tolerance;

    public SeedHmacWebhookVerifier(IEnumerable<string> secrets, TimeProvider? time = null, TimeSpan? tolerance = null)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        _secrets = [.. secrets.Where(s => !string.IsNullOrEmpty(s)).Select(Encoding.UTF8.GetBytes)];
        _time = time ?? TimeProvider.System;
        _tolerance = tolerance ?? Timestamps.DefaultTolerance;
    }

    public SignatureScheme Scheme => SignatureScheme.SeedHmac;

    public VerificationResult Verify<THeaders>(ReadOnlySpan<byte> body, THeaders headers) where THeaders : IWebhookHeaders
    {
        if (_secrets.Length == 0)
        {
            return VerificationResult.Fail(VerificationFailure.NoKeyConfigured, "no HMAC secret is configured; refusing to accept unverified webhooks");
        }

        var signatureHeader = headers.Get(TelnyxHeaders.Signature);
        if (string.IsNullOrEmpty(signatureHeader))
        {
            return VerificationResult.Fail(VerificationFailure.MissingHeader, $"missing header '{TelnyxHeaders.Signature}'");
        }

        var timestampHeader = headers.Get(TelnyxHeaders.Timestamp);
        if (Timestamps.Check(TelnyxHeaders.Timestamp, timestampHeader, milliseconds: true, _time, _tolerance, out _) is { } stale)
        {
            return stale;
        }

        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        if (signatureHeader.Length != expected.Length * 2)
        {
            return IsHex(signatureHeader)
                ? VerificationResult.Fail(VerificationFailure.WrongSignatureLength, $"header '{TelnyxHeaders.Signature}' has {signatureHeader.Length} hex digits; expected 64")
                : VerificationResult.Fail(VerificationFailure.MalformedSignature, $"header '{TelnyxHeaders.Signature}' is not hex");
        }

        if (Convert.FromHexString(signatureHeader, expected, out _, out _) != System.Buffers.OperationStatus.Done)
        {
            return VerificationResult.Fail(VerificationFailure.MalformedSignature, $"header '{TelnyxHeaders.Signature}' is not hex");
        }

        using var content = SignedContent.Create(timestampHeader!, (byte)'.', body);
        Span<byte> actual = stackalloc byte[HMACSHA256.HashSizeInBytes];
        var matched = false;
        foreach (var secret in _secrets)
        {
            HMACSHA256.HashData(secret, content.Bytes, actual);
            matched |= CryptographicOperations.FixedTimeEquals(actual, expected);
        }

        return matched ? VerificationResult.Valid : VerificationResult.Fail(VerificationFailure.Mismatch, Ed25519WebhookVerifier.MismatchDetail.Replace("public key", "shared secret", StringComparison.Ordinal));
    }

    private static bool IsHex(string value) => value.All(char.IsAsciiHexDigit);
}
