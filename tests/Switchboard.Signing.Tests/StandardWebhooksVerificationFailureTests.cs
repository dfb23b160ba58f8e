using System.Globalization;

namespace Switchboard.Signing.Tests;

/// <summary>Every way a Standard Webhooks request can fail verification, and what the failure says.</summary>
public sealed class StandardWebhooksVerificationFailureTests
{
    private const long Now = StandardWebhooksKnownAnswerTests.SpecTimestamp;
    private static readonly byte[] Body = Bytes.Utf8(StandardWebhooksKnownAnswerTests.SpecBody);
    private static readonly StandardWebhooksKey Secret = StandardWebhooksKey.Parse(StandardWebhooksKnownAnswerTests.SpecSecret);

    private static StandardWebhooksVerifier Verifier(long now = Now) => new([Secret], Clock.At(now));

    private static WebhookHeaders Signed(long at, string id = StandardWebhooksKnownAnswerTests.SpecId) =>
        Headers.From(new StandardWebhooksSigner([Secret]).Sign(Body, DateTimeOffset.FromUnixTimeSeconds(at), id));

    private static WebhookHeaders Without(WebhookHeaders headers, string name) =>
        Headers.From(headers.AsDictionary().Where(h => h.Key != name));

    private static WebhookHeaders With(WebhookHeaders headers, string name, string value) =>
        Headers.From(headers.AsDictionary()).Set(name, value);

    [Theory]
    [InlineData(StandardWebhooksHeaders.Id)]
    [InlineData(StandardWebhooksHeaders.Timestamp)]
    [InlineData(StandardWebhooksHeaders.Signature)]
    public void Missing_header(string name)
    {
        AssertResult.Fails(Verifier().Verify(Body, Without(Signed(Now), name)), VerificationFailure.MissingHeader, $"'{name}'");
        AssertResult.Fails(Verifier().Verify(Body, With(Signed(Now), name, "")), VerificationFailure.MissingHeader, $"'{name}'");
    }

    [Theory]
    [InlineData("1614265330a")]
    [InlineData("2021-02-25T15:02:10Z")]
    [InlineData("1614265330.0")]
    public void Timestamp_that_is_not_plain_digits(string timestamp) =>
        AssertResult.Fails(Verifier().Verify(Body, With(Signed(Now), StandardWebhooksHeaders.Timestamp, timestamp)),
            VerificationFailure.MalformedTimestamp, "webhook-timestamp", "seconds");

    [Fact]
    public void Timestamp_in_milliseconds_says_so() =>
        AssertResult.Fails(Verifier().Verify(Body, With(Signed(Now), StandardWebhooksHeaders.Timestamp, "1614265330000")),
            VerificationFailure.TimestampOutsideTolerance, "looks like milliseconds");

    [Theory]
    [InlineData(-301, "too old")]
    [InlineData(301, "future")]
    public void Timestamp_301_seconds_away(long offset, string hint) =>
        AssertResult.Fails(Verifier().Verify(Body, Signed(Now + offset)), VerificationFailure.TimestampOutsideTolerance, "301 seconds", hint);

    [Theory]
    [InlineData(-300)]
    [InlineData(300)]
    public void Timestamp_exactly_300_seconds_away_is_accepted(long offset) =>
        AssertResult.Valid(Verifier().Verify(Body, Signed(Now + offset)));

    [Theory]
    [InlineData("g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "'v1,<base64>'")] // no version
    [InlineData(",g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "'v1,<base64>'")] // empty version
    [InlineData("v1,not*base64", "not valid padded base64")]
    [InlineData("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE", "not valid padded base64")]
    public void Malformed_signature_entry(string header, string detail) =>
        AssertResult.Fails(Verifier().Verify(Body, With(Signed(Now), StandardWebhooksHeaders.Signature, header)),
            VerificationFailure.MalformedSignature, detail);

    [Theory]
    [InlineData("v1", 31, 32)]
    [InlineData("v1", 33, 32)]
    [InlineData("v1", 64, 32)]
    public void V1_signature_of_the_wrong_length(string version, int length, int expected) =>
        AssertResult.Fails(Verifier().Verify(Body, With(Signed(Now), StandardWebhooksHeaders.Signature, $"{version},{Convert.ToBase64String(new byte[length])}")),
            VerificationFailure.WrongSignatureLength, $"decodes to {length} bytes", $"expected {expected}");

    [Theory]
    [InlineData(63)]
    [InlineData(65)]
    public void V1a_signature_of_the_wrong_length(int length)
    {
        using var ed = Ed25519PrivateKey.Generate();
        var verifier = new StandardWebhooksVerifier([StandardWebhooksKey.FromPublicKey(ed.PublicKey)], Clock.At(Now));
        AssertResult.Fails(verifier.Verify(Body, With(Signed(Now), StandardWebhooksHeaders.Signature, $"v1a,{Convert.ToBase64String(new byte[length])}")),
            VerificationFailure.WrongSignatureLength, $"decodes to {length} bytes", "expected 64");
    }

    [Fact]
    public void Huge_signature_header_fails_without_throwing()
    {
        var huge = string.Join(' ', Enumerable.Repeat("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=", 20_000)) + " v1," + new string('A', 100_000);
        AssertResult.Fails(Verifier().Verify(Body, With(Signed(Now), StandardWebhooksHeaders.Signature, huge)), VerificationFailure.Mismatch);
    }

    [Fact]
    public void Well_formed_entry_wins_over_an_earlier_malformed_one()
    {
        var good = Signed(Now).Get(StandardWebhooksHeaders.Signature);
        AssertResult.Valid(Verifier().Verify(Body, With(Signed(Now), StandardWebhooksHeaders.Signature, "garbage v1,%%% " + good)));
    }

    [Fact]
    public void Wrong_secret_changed_body_changed_id_or_changed_timestamp_is_a_mismatch()
    {
        AssertResult.Fails(new StandardWebhooksVerifier([StandardWebhooksKey.GenerateSecret()], Clock.At(Now)).Verify(Body, Signed(Now)),
            VerificationFailure.Mismatch, "raw request bytes");
        AssertResult.Fails(Verifier().Verify(Bytes.WithByteFlipped(Body, 0), Signed(Now)), VerificationFailure.Mismatch);
        AssertResult.Fails(Verifier().Verify(Body, With(Signed(Now), StandardWebhooksHeaders.Id, "msg_other")), VerificationFailure.Mismatch);
        AssertResult.Fails(Verifier().Verify(Body, With(Signed(Now), StandardWebhooksHeaders.Timestamp, (Now + 1).ToString(CultureInfo.InvariantCulture))),
            VerificationFailure.Mismatch);
    }

    [Fact]
    public void V1_signature_against_only_a_v1a_key_says_no_version_can_be_checked()
    {
        using var ed = Ed25519PrivateKey.Generate();
        var verifier = new StandardWebhooksVerifier([StandardWebhooksKey.FromPublicKey(ed.PublicKey)], Clock.At(Now));
        AssertResult.Fails(verifier.Verify(Body, Signed(Now)), VerificationFailure.Mismatch, "no signature of a version the configured keys can check");
    }

    [Fact]
    public void No_key_configured_fails_closed() =>
        AssertResult.Fails(new StandardWebhooksVerifier([], Clock.At(Now)).Verify(Body, Signed(Now)),
            VerificationFailure.NoKeyConfigured, "no Standard Webhooks key");

    [Theory]
    [InlineData("", "empty")]
    [InlineData("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "starts with 'whsec_'")]
    [InlineData("whsec_not base64!", "not base64")]
    [InlineData("whsec_AAAA", "24 to 64 bytes; got 3")]
    [InlineData("whpk_AAAA", "32 bytes; got 3")]
    [InlineData("whsk_AAAA", "32 bytes (the seed); got 3")]
    public void Invalid_key_text_is_refused_with_a_reason(string text, string reason)
    {
        Assert.False(StandardWebhooksKey.TryParse(text, out var key, out var error));
        Assert.Null(key);
        Assert.Contains(reason, error, StringComparison.Ordinal);
        Assert.Contains(reason, Assert.Throws<FormatException>(() => StandardWebhooksKey.Parse(text)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Signer_needs_a_key_that_can_sign()
    {
        using var ed = Ed25519PrivateKey.Generate();
        Assert.Throws<ArgumentException>(() => new StandardWebhooksSigner([]));
        Assert.Throws<ArgumentException>(() => new StandardWebhooksSigner([StandardWebhooksKey.FromPublicKey(ed.PublicKey)]));
        Assert.ThrowsAny<ArgumentException>(() => new StandardWebhooksSigner([Secret]).Sign(Body, DateTimeOffset.FromUnixTimeSeconds(Now), ""));
    }
}
