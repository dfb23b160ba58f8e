namespace Switchboard.Signing.Tests;

/// <summary>Every way a Telnyx (Ed25519) webhook can fail verification, and what the failure says.</summary>
public sealed class Ed25519VerificationFailureTests : IDisposable
{
    private const long Now = TelnyxEd25519SchemeTests.Now;
    private static readonly byte[] Body = Bytes.Utf8(TelnyxEd25519SchemeTests.Body);

    private readonly Ed25519PrivateKey _key = TelnyxEd25519SchemeTests.Key();

    public void Dispose() => _key.Dispose();

    private Ed25519WebhookVerifier Verifier(long now = Now) => new([_key.PublicKey], Clock.At(now));

    private (string Signature, string Timestamp) Sign(byte[] body, long at) =>
        new Ed25519WebhookSigner(_key).SignParts(body, DateTimeOffset.FromUnixTimeSeconds(at));


    private static string Base64OfLength(int length) => Convert.ToBase64String(new byte[length]);

    [Fact]
    public void Missing_signature_header()
    {
        AssertResult.Fails(Verifier().Verify(Body, Headers.Telnyx("1614265330", null)),
            VerificationFailure.MissingHeader, "telnyx-signature-ed25519");
        AssertResult.Fails(Verifier().Verify(Body, Headers.Telnyx("1614265330", "")),
            VerificationFailure.MissingHeader, "telnyx-signature-ed25519");
    }

    [Fact]
    public void Missing_signature_header_hints_at_the_old_header_name_when_it_is_present()
    {
        var (signature, timestamp) = Sign(Body, Now);
        var headers = Headers.Of((TelnyxHeaders.Timestamp, timestamp), ("Telnyx-Signature", signature));

        var result = Verifier().Verify(Body, headers);

        AssertResult.Fails(result, VerificationFailure.MissingHeader, "telnyx-signature-ed25519", "found 'telnyx-signature'");
        Assert.DoesNotContain("found", Verifier().Verify(Body, Headers.Telnyx(timestamp, null)).Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_timestamp_header()
    {
        var (signature, _) = Sign(Body, Now);
        AssertResult.Fails(Verifier().Verify(Body, Headers.Telnyx(null, signature)), VerificationFailure.MissingHeader, "telnyx-timestamp");
        AssertResult.Fails(Verifier().Verify(Body, Headers.Telnyx("", signature)), VerificationFailure.MissingHeader, "telnyx-timestamp");
    }

    [Theory]
    [InlineData("16142653a0")]
    [InlineData("abc")]
    [InlineData("-1614265330")]
    [InlineData("+1614265330")]
    [InlineData(" 1614265330")]
    [InlineData("1614265330 ")]
    [InlineData("1614265330.5")]
    [InlineData("1e9")]
    [InlineData("\u0661\u0666\u0661\u0664")] // Arabic-Indic digits are digits to char.IsDigit, not to us
    public void Timestamp_that_is_not_plain_digits(string timestamp)
    {
        var (signature, _) = Sign(Body, Now);
        AssertResult.Fails(Verifier().Verify(Body, Headers.Telnyx(timestamp, signature)),
            VerificationFailure.MalformedTimestamp, "telnyx-timestamp", "seconds", "digits only");
    }

    [Theory]
    [InlineData("1234567890123456789")] // 19 digits: past what a long holds soon after
    [InlineData("00000000000000000000000000000001614265330")]
    public void Timestamp_of_digits_out_of_range_says_so(string timestamp)
    {
        var (signature, _) = Sign(Body, Now);
        var result = Verifier().Verify(Body, Headers.Telnyx(timestamp, signature));
        AssertResult.Fails(result, VerificationFailure.TimestampOutsideTolerance, "telnyx-timestamp", "out of range", "seconds");
        Assert.DoesNotContain("digits only", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Timestamp_in_milliseconds_says_so()
    {
        var (signature, _) = Sign(Body, Now);
        AssertResult.Fails(Verifier().Verify(Body, Headers.Telnyx("1614265330000", signature)),
            VerificationFailure.TimestampOutsideTolerance, "looks like milliseconds", "seconds");
    }

    [Fact]
    public void Timestamp_301_seconds_old_is_stale()
    {
        var (signature, timestamp) = Sign(Body, Now - 301);
        AssertResult.Fails(Verifier().Verify(Body, Headers.Telnyx(timestamp, signature)),
            VerificationFailure.TimestampOutsideTolerance, "301 seconds", "tolerance of 300", "too old");
    }

    [Fact]
    public void Timestamp_301_seconds_ahead_is_in_the_future()
    {
        var (signature, timestamp) = Sign(Body, Now + 301);
        AssertResult.Fails(Verifier().Verify(Body, Headers.Telnyx(timestamp, signature)),
            VerificationFailure.TimestampOutsideTolerance, "301 seconds", "future");
    }

    [Theory]
    [InlineData(-300)]
    [InlineData(300)]
    [InlineData(0)]
    public void Timestamp_up_to_exactly_300_seconds_either_way_is_accepted(long offset)
    {
        var (signature, timestamp) = Sign(Body, Now + offset);
        AssertResult.Valid(Verifier().Verify(Body, Headers.Telnyx(timestamp, signature)));
    }

    [Fact]
    public void Tolerance_is_configurable()
    {
        var (signature, timestamp) = Sign(Body, Now - 10);
        var strict = new Ed25519WebhookVerifier([_key.PublicKey], Clock.At(Now), TimeSpan.FromSeconds(5));
        AssertResult.Fails(strict.Verify(Body, Headers.Telnyx(timestamp, signature)), VerificationFailure.TimestampOutsideTolerance, "tolerance of 5");
    }

    [Theory]
    [InlineData("not base64 at all!")]
    [InlineData("E/MKQHR9HZ41/Vx5Zx+8K9TS51Ib0Bh1lCA2j1SoI5tWda2Q82ZhlIm8+Y9twqfPIG5BNRBChvJouBo1yIYZBA")] // padding removed
    [InlineData("E_MKQHR9HZ41_Vx5Zx-8K9TS51Ib0Bh1lCA2j1SoI5tWda2Q82ZhlIm8-Y9twqfPIG5BNRBChvJouBo1yIYZBA==")] // base64url
    [InlineData("E/MKQHR9HZ41/Vx5Zx+8K9TS51Ib0Bh1lCA2j1SoI5tWda2Q82ZhlIm8+Y9twqfPIG5BNRBChvJouBo1y IYZBA=")] // inner space
    public void Signature_that_is_not_padded_base64(string signature)
    {
        AssertResult.Fails(Verifier().Verify(Body, Headers.Telnyx("1614265330", signature)),
            VerificationFailure.MalformedSignature, "telnyx-signature-ed25519", "base64");
    }

    [Theory]
    [InlineData(63)]
    [InlineData(65)]
    [InlineData(32)]
    [InlineData(1)]
    public void Signature_of_the_wrong_length(int length)
    {
        AssertResult.Fails(Verifier().Verify(Body, Headers.Telnyx("1614265330", Base64OfLength(length))),
            VerificationFailure.WrongSignatureLength, $"decodes to {length} bytes", "expected 64");
    }

    [Fact]
    public void Huge_signature_header_is_rejected_without_decoding_it()
    {
        var huge = new string('A', 1_000_000);
        AssertResult.Fails(Verifier().Verify(Body, Headers.Telnyx("1614265330", huge)),
            VerificationFailure.WrongSignatureLength, "1000000 characters", "64 bytes");
    }

    [Fact]
    public void Huge_timestamp_header_is_refused_without_parsing_it()
    {
        var (signature, _) = Sign(Body, Now);
        AssertResult.Fails(Verifier().Verify(Body, Headers.Telnyx(new string('1', 100_000), signature)), VerificationFailure.TimestampOutsideTolerance, "out of range");
        AssertResult.Fails(Verifier().Verify(Body, Headers.Telnyx(new string('1', 100_000) + "x", signature)), VerificationFailure.MalformedTimestamp);
    }

    [Fact]
    public void Signature_made_with_another_key()
    {
        using var other = Ed25519PrivateKey.Generate();
        var (signature, timestamp) = new Ed25519WebhookSigner(other).SignParts(Body, DateTimeOffset.FromUnixTimeSeconds(Now));

        AssertResult.Fails(Verifier().Verify(Body, Headers.Telnyx(timestamp, signature)),
            VerificationFailure.Mismatch, "raw request bytes", "public key");
    }

    [Fact]
    public void One_byte_of_the_body_changed()
    {
        var (signature, timestamp) = Sign(Body, Now);
        for (var i = 0; i < Body.Length; i += 7)
        {
            AssertResult.Fails(Verifier().Verify(Bytes.WithByteFlipped(Body, i), Headers.Telnyx(timestamp, signature)), VerificationFailure.Mismatch);
        }

        AssertResult.Fails(Verifier().Verify([.. Body, (byte)'\n'], Headers.Telnyx(timestamp, signature)), VerificationFailure.Mismatch);
    }

    [Fact]
    public void Timestamp_changed_by_a_second_is_a_mismatch()
    {
        var (signature, _) = Sign(Body, Now);
        AssertResult.Fails(Verifier().Verify(Body, Headers.Telnyx((Now + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), signature)), VerificationFailure.Mismatch);
    }

    [Fact]
    public void No_key_configured_fails_closed()
    {
        var (signature, timestamp) = Sign(Body, Now);
        var headers = Headers.Telnyx(timestamp, signature);

        AssertResult.Fails(new Ed25519WebhookVerifier([], Clock.At(Now)).Verify(Body, headers),
            VerificationFailure.NoKeyConfigured, "no public key");
        AssertResult.Fails(Ed25519WebhookVerifier.FromBase64([], Clock.At(Now)).Verify(Body, headers),
            VerificationFailure.NoKeyConfigured);
        AssertResult.Fails(new Ed25519WebhookVerifier([]).Verify(Body, new WebhookHeaders()),
            VerificationFailure.NoKeyConfigured);
    }

    [Theory]
    [InlineData("not a key", "not base64")]
    [InlineData("", "empty")]
    [InlineData("   ", "empty")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", "32 bytes; got 31")] // 31 bytes
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "32 bytes; got 33")] // 33 bytes
    public void Invalid_key_string_fails_every_verification(string publicKey, string detail)
    {
        var (signature, timestamp) = Sign(Body, Now);
        var verifier = Ed25519WebhookVerifier.FromBase64([publicKey], Clock.At(Now));

        AssertResult.Fails(verifier.Verify(Body, Headers.Telnyx(timestamp, signature)), VerificationFailure.InvalidKey, "public key #1", detail);
        AssertResult.Fails(verifier.Verify(Body, new WebhookHeaders()), VerificationFailure.InvalidKey);
    }

    [Fact]
    public void Invalid_second_key_is_named_and_fails_closed_even_when_the_first_key_matches()
    {
        var (signature, timestamp) = Sign(Body, Now);
        var verifier = Ed25519WebhookVerifier.FromBase64([_key.PublicKey.ToBase64(), "garbage"], Clock.At(Now));

        AssertResult.Fails(verifier.Verify(Body, Headers.Telnyx(timestamp, signature)), VerificationFailure.InvalidKey, "public key #2");
    }

    [Fact]
    public void Key_rotation_accepts_a_signature_from_either_key()
    {
        using var newKey = Ed25519PrivateKey.Generate();
        using var stranger = Ed25519PrivateKey.Generate();
        var verifier = Ed25519WebhookVerifier.FromBase64([_key.PublicKey.ToBase64(), newKey.PublicKey.ToBase64()], Clock.At(Now));

        foreach (var signer in new[] { _key, newKey })
        {
            var (signature, timestamp) = new Ed25519WebhookSigner(signer).SignParts(Body, DateTimeOffset.FromUnixTimeSeconds(Now));
            AssertResult.Valid(verifier.Verify(Body, Headers.Telnyx(timestamp, signature)));
        }

        var (forged, at) = new Ed25519WebhookSigner(stranger).SignParts(Body, DateTimeOffset.FromUnixTimeSeconds(Now));
        AssertResult.Fails(verifier.Verify(Body, Headers.Telnyx(at, forged)), VerificationFailure.Mismatch);
    }

    [Fact]
    public void Results_carry_stable_codes()
    {
        Assert.Equal("valid", VerificationResult.Valid.Code);
        Assert.Equal("valid", VerificationResult.Valid.ToString());
        var mismatch = Verifier().Verify(Body, Headers.Telnyx("1614265330", Base64OfLength(64)));
        Assert.Equal("signature_mismatch", mismatch.Code);
        Assert.StartsWith("signature_mismatch: ", mismatch.ToString(), StringComparison.Ordinal);
    }
}
