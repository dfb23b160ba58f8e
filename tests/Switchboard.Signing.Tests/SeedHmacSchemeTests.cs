using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Switchboard.Signing.Tests;

/// <summary>The opt-in, seed-compatible shared-secret scheme: HMAC-SHA256 hex over <c>{ms}.{body}</c>.</summary>
public sealed class SeedHmacSchemeTests
{
    private const string Secret = "seed-shared-secret";
    private const long NowMs = 1614265330000;
    private static readonly byte[] Body = Bytes.Utf8(TelnyxEd25519SchemeTests.Body);

    /// <summary>node:crypto createHmac('sha256', Secret) over "1614265330000." + body, as hex.</summary>
    private const string NodeSignature = "268c5b4b58fe893c3056a2f9e92dde762eec480ebc4795900a81c81806846b85";

    private static SeedHmacWebhookVerifier Verifier(long nowMs = NowMs, params string[] secrets) =>
        new(secrets.Length == 0 ? [Secret] : secrets, Clock.AtMilliseconds(nowMs));

    private static WebhookHeaders Sign(byte[] body, long atMs, string secret = Secret) =>
        Headers.From(new SeedHmacWebhookSigner(secret).Sign(body, DateTimeOffset.FromUnixTimeMilliseconds(atMs), "ignored"));


    [Fact]
    public void Signer_matches_node_crypto_hmac()
    {
        var headers = new SeedHmacWebhookSigner(Secret).Sign(Body, DateTimeOffset.FromUnixTimeMilliseconds(NowMs), "ignored");

        Assert.Equal([new(TelnyxHeaders.Timestamp, "1614265330000"), new(TelnyxHeaders.Signature, NodeSignature)], headers);
    }

    [Fact]
    public void Signed_bytes_are_the_millisecond_timestamp_a_dot_and_the_raw_body()
    {
        var body = Bytes.Utf8("{\"a\": 1}");
        var headers = new SeedHmacWebhookSigner(Secret).Sign(body, DateTimeOffset.FromUnixTimeMilliseconds(NowMs + 123), "id");
        var timestamp = Headers.Value(headers, TelnyxHeaders.Timestamp);

        Assert.Equal("1614265330123", timestamp);
        byte[] signed = [.. Encoding.ASCII.GetBytes(timestamp), (byte)'.', .. body];
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), signed);
        Assert.Equal(Convert.ToHexStringLower(expected), Headers.Value(headers, TelnyxHeaders.Signature));
        Assert.Equal(SignatureScheme.SeedHmac, new SeedHmacWebhookSigner(Secret).Scheme);
    }

    [Fact]
    public void Verifier_accepts_the_node_signature_with_any_header_case()
    {
        AssertResult.Valid(Verifier().Verify(Body, Headers.Telnyx("1614265330000", NodeSignature)));
        AssertResult.Valid(Verifier().Verify(Body, Headers.Of(("Telnyx-Timestamp", "1614265330000"), ("Telnyx-Signature-Ed25519", NodeSignature))));
    }

    [Fact]
    public void Signer_refuses_an_empty_secret() =>
        Assert.ThrowsAny<ArgumentException>(() => new SeedHmacWebhookSigner(""));

    [Fact]
    public void Missing_headers()
    {
        AssertResult.Fails(Verifier().Verify(Body, Headers.Telnyx("1614265330000", null)), VerificationFailure.MissingHeader, "telnyx-signature-ed25519");
        AssertResult.Fails(Verifier().Verify(Body, Headers.Telnyx(null, NodeSignature)), VerificationFailure.MissingHeader, "telnyx-timestamp");
    }

    [Theory]
    [InlineData("1614265330000x")]
    [InlineData("1614265330.000")]
    [InlineData("-1")]
    public void Timestamp_that_is_not_plain_digits(string timestamp) =>
        AssertResult.Fails(Verifier().Verify(Body, Headers.Telnyx(timestamp, NodeSignature)), VerificationFailure.MalformedTimestamp, "milliseconds", "digits only");

    [Fact]
    public void Timestamp_in_seconds_says_so() =>
        AssertResult.Fails(Verifier().Verify(Body, Headers.Telnyx("1614265330", NodeSignature)),
            VerificationFailure.TimestampOutsideTolerance, "looks like seconds", "milliseconds");

    [Theory]
    [InlineData(-301_000, "too old")]
    [InlineData(301_000, "future")]
    [InlineData(-300_001, "too old")]
    public void Timestamp_outside_five_minutes(long offsetMs, string hint)
    {
        var headers = Sign(Body, NowMs + offsetMs);
        AssertResult.Fails(Verifier().Verify(Body, headers), VerificationFailure.TimestampOutsideTolerance, "tolerance of 300000", hint);
    }

    [Theory]
    [InlineData(-300_000)]
    [InlineData(300_000)]
    public void Timestamp_exactly_five_minutes_away_is_accepted(long offsetMs) =>
        AssertResult.Valid(Verifier().Verify(Body, Sign(Body, NowMs + offsetMs)));

    [Theory]
    [InlineData(63)]
    [InlineData(65)]
    [InlineData(66)]
    [InlineData(128)]
    public void Hex_signature_of_the_wrong_length(int digits) =>
        AssertResult.Fails(Verifier().Verify(Body, Headers.Telnyx("1614265330000", new string('a', digits))),
            VerificationFailure.WrongSignatureLength, $"{digits} hex digits", "expected 64");

    [Theory]
    [InlineData("zz8c5b4b58fe893c3056a2f9e92dde762eec480ebc4795900a81c81806846b85")] // 64 chars, not hex
    [InlineData("JoxbS1j+iTwwVqL56S3edi7sSA68R5WQCoHIGAaEa4U=")] // the right MAC, but base64
    [InlineData("not hex")]
    public void Signature_that_is_not_hex(string signature) =>
        AssertResult.Fails(Verifier().Verify(Body, Headers.Telnyx("1614265330000", signature)), VerificationFailure.MalformedSignature, "not hex");

    [Fact]
    public void Huge_signature_header_is_rejected() =>
        AssertResult.Fails(Verifier().Verify(Body, Headers.Telnyx("1614265330000", new string('a', 1_000_000))), VerificationFailure.WrongSignatureLength);

    [Fact]
    public void Wrong_secret_or_changed_body_is_a_mismatch()
    {
        AssertResult.Fails(Verifier(NowMs, "another secret").Verify(Body, Headers.Telnyx("1614265330000", NodeSignature)),
            VerificationFailure.Mismatch, "raw request bytes", "shared secret");
        AssertResult.Fails(Verifier().Verify(Bytes.WithByteFlipped(Body, 10), Headers.Telnyx("1614265330000", NodeSignature)), VerificationFailure.Mismatch);
        AssertResult.Fails(Verifier().Verify(Body, Headers.Telnyx("1614265330001", NodeSignature)), VerificationFailure.Mismatch);
    }

    [Fact]
    public void No_secret_configured_fails_closed()
    {
        AssertResult.Fails(new SeedHmacWebhookVerifier([], Clock.AtMilliseconds(NowMs)).Verify(Body, Headers.Telnyx("1614265330000", NodeSignature)),
            VerificationFailure.NoKeyConfigured, "no HMAC secret");
        AssertResult.Fails(new SeedHmacWebhookVerifier([""], Clock.AtMilliseconds(NowMs)).Verify(Body, Headers.Telnyx("1614265330000", NodeSignature)),
            VerificationFailure.NoKeyConfigured);
    }

    [Fact]
    public void Secret_rotation_accepts_either_secret()
    {
        var verifier = Verifier(NowMs, "old secret", "new secret");
        AssertResult.Valid(verifier.Verify(Body, Sign(Body, NowMs, "old secret")));
        AssertResult.Valid(verifier.Verify(Body, Sign(Body, NowMs, "new secret")));
        AssertResult.Fails(verifier.Verify(Body, Sign(Body, NowMs, "third secret")), VerificationFailure.Mismatch);
    }

    [Fact]
    public void Verifier_reports_its_scheme() =>
        Assert.Equal(SignatureScheme.SeedHmac, Verifier().Scheme);

    [Fact]
    public void Millisecond_timestamps_are_compared_to_the_millisecond()
    {
        var now = NowMs + 999;
        var headers = Sign(Body, now - 300_000);
        AssertResult.Valid(Verifier(now).Verify(Body, headers));
        AssertResult.Fails(Verifier(now + 1).Verify(Body, headers), VerificationFailure.TimestampOutsideTolerance,
            (300_001).ToString(CultureInfo.InvariantCulture));
    }
}
