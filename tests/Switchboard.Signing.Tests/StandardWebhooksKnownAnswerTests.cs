using System.Text;

namespace Switchboard.Signing.Tests;

/// <summary>The Standard Webhooks specification's example, and the v1/v1a formats around it.</summary>
public sealed class StandardWebhooksKnownAnswerTests
{
    internal const string SpecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    internal const string SpecId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    internal const long SpecTimestamp = 1614265330;
    internal const string SpecBody = """{"test": 2432232314}""";
    internal const string SpecSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    internal static WebhookHeaders SpecHeaders(string signature = SpecSignature) => Headers.Of(
        (StandardWebhooksHeaders.Id, SpecId),
        (StandardWebhooksHeaders.Timestamp, "1614265330"),
        (StandardWebhooksHeaders.Signature, signature));

    [Fact]
    public void Header_names_are_the_specification_ones()
    {
        Assert.Equal("webhook-id", StandardWebhooksHeaders.Id);
        Assert.Equal("webhook-timestamp", StandardWebhooksHeaders.Timestamp);
        Assert.Equal("webhook-signature", StandardWebhooksHeaders.Signature);
    }

    [Fact]
    public void Signer_reproduces_the_specification_example()
    {
        var signer = new StandardWebhooksSigner([StandardWebhooksKey.Parse(SpecSecret)]);

        var headers = signer.Sign(Bytes.Utf8(SpecBody), DateTimeOffset.FromUnixTimeSeconds(SpecTimestamp), SpecId);

        Assert.Equal(
            [
                new(StandardWebhooksHeaders.Id, SpecId),
                new(StandardWebhooksHeaders.Timestamp, "1614265330"),
                new(StandardWebhooksHeaders.Signature, SpecSignature),
            ],
            headers);
        Assert.Equal(SignatureScheme.StandardWebhooksV1, signer.Scheme);
    }

    [Fact]
    public void Verifier_accepts_the_specification_example_at_its_time()
    {
        var verifier = new StandardWebhooksVerifier([StandardWebhooksKey.Parse(SpecSecret)], Clock.At(SpecTimestamp));

        AssertResult.Valid(verifier.Verify(Bytes.Utf8(SpecBody), SpecHeaders()));
        AssertResult.Valid(verifier.Verify(Bytes.Utf8(SpecBody), Headers.Of(
            ("Webhook-Id", SpecId), ("Webhook-Timestamp", "1614265330"), ("WEBHOOK-SIGNATURE", SpecSignature))));
        Assert.Equal(SignatureScheme.StandardWebhooksV1, verifier.Scheme);
    }

    [Fact]
    public void Verifier_rejects_the_specification_example_ten_minutes_later()
    {
        var verifier = new StandardWebhooksVerifier([StandardWebhooksKey.Parse(SpecSecret)], Clock.At(SpecTimestamp + 600));
        AssertResult.Fails(verifier.Verify(Bytes.Utf8(SpecBody), SpecHeaders()), VerificationFailure.TimestampOutsideTolerance, "webhook-timestamp");
    }

    [Fact]
    public void Secret_key_round_trips_through_its_text_form()
    {
        var key = StandardWebhooksKey.Parse(SpecSecret);
        Assert.Equal(SpecSecret, key.ToString());
        Assert.Equal(SpecSecret, key.ToPublicString());
        Assert.Equal("v1", key.Version);
        Assert.Equal(Convert.FromBase64String("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), key.Secret);
    }

    [Fact]
    public void V1a_signs_ed25519_over_id_timestamp_and_body_and_verifies_with_the_public_key()
    {
        using var ed = Ed25519PrivateKey.Generate();
        var signing = StandardWebhooksKey.FromPrivateKey(ed);
        var body = Bytes.Utf8(SpecBody);

        var headers = new StandardWebhooksSigner([signing]).Sign(body, DateTimeOffset.FromUnixTimeSeconds(SpecTimestamp), SpecId);
        var signature = Headers.Value(headers, StandardWebhooksHeaders.Signature);

        Assert.StartsWith("v1a,", signature, StringComparison.Ordinal);
        var raw = Convert.FromBase64String(signature["v1a,".Length..]);
        Assert.True(ed.PublicKey.Verify(Encoding.UTF8.GetBytes($"{SpecId}.{SpecTimestamp}.{SpecBody}"), raw));

        var publicOnly = StandardWebhooksKey.Parse(signing.ToPublicString());
        Assert.StartsWith("whpk_", publicOnly.ToString(), StringComparison.Ordinal);
        Assert.Equal("v1a", publicOnly.Version);
        var verifier = new StandardWebhooksVerifier([publicOnly], Clock.At(SpecTimestamp));
        AssertResult.Valid(verifier.Verify(body, Headers.From(headers)));
        Assert.Equal(SignatureScheme.StandardWebhooksV1a, verifier.Scheme);
        AssertResult.Fails(verifier.Verify(Bytes.WithByteFlipped(body, 3), Headers.From(headers)), VerificationFailure.Mismatch);
    }

    [Fact]
    public void V1a_private_key_text_round_trips_in_both_seed_and_libsodium_forms()
    {
        using var ed = Ed25519PrivateKey.Generate();
        var text = StandardWebhooksKey.FromPrivateKey(ed).ToString();
        Assert.Equal("whsk_" + ed.ExportBase64(), text);

        var reparsed = StandardWebhooksKey.Parse(text);
        Assert.Equal(text, reparsed.ToString());

        var libsodium = "whsk_" + Convert.ToBase64String([.. ed.Export(), .. ed.PublicKey.Export()]);
        Assert.Equal("whpk_" + ed.PublicKey.ToBase64(), StandardWebhooksKey.Parse(libsodium).ToPublicString());
    }

    [Fact]
    public void Rotation_header_carries_one_signature_per_key_and_either_key_alone_verifies()
    {
        var oldKey = StandardWebhooksKey.Parse(SpecSecret);
        var newKey = StandardWebhooksKey.GenerateSecret();
        var body = Bytes.Utf8(SpecBody);

        var headers = Headers.From(new StandardWebhooksSigner([oldKey, newKey]).Sign(body, DateTimeOffset.FromUnixTimeSeconds(SpecTimestamp), SpecId));

        var entries = headers.Get(StandardWebhooksHeaders.Signature)!.Split(' ');
        Assert.Equal(2, entries.Length);
        Assert.Equal(SpecSignature, entries[0]);
        Assert.StartsWith("v1,", entries[1], StringComparison.Ordinal);

        AssertResult.Valid(new StandardWebhooksVerifier([newKey], Clock.At(SpecTimestamp)).Verify(body, headers));
        AssertResult.Valid(new StandardWebhooksVerifier([oldKey], Clock.At(SpecTimestamp)).Verify(body, headers));
        AssertResult.Fails(new StandardWebhooksVerifier([StandardWebhooksKey.GenerateSecret()], Clock.At(SpecTimestamp)).Verify(body, headers),
            VerificationFailure.Mismatch, "no signature matches");
    }

    [Fact]
    public void Rotation_between_v1_and_v1a_keys()
    {
        using var ed = Ed25519PrivateKey.Generate();
        var v1a = StandardWebhooksKey.FromPrivateKey(ed);
        var v1 = StandardWebhooksKey.Parse(SpecSecret);
        var body = Bytes.Utf8(SpecBody);
        var headers = Headers.From(new StandardWebhooksSigner([v1, v1a]).Sign(body, DateTimeOffset.FromUnixTimeSeconds(SpecTimestamp), SpecId));

        AssertResult.Valid(new StandardWebhooksVerifier([StandardWebhooksKey.FromPublicKey(ed.PublicKey)], Clock.At(SpecTimestamp)).Verify(body, headers));
        AssertResult.Valid(new StandardWebhooksVerifier([v1], Clock.At(SpecTimestamp)).Verify(body, headers));
    }

    [Theory]
    [InlineData("v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= " + SpecSignature)]
    [InlineData(SpecSignature + " v2,anything")]
    [InlineData("v1b,!!! " + SpecSignature)]
    [InlineData("  " + SpecSignature + "  ")]
    [InlineData("v0,AAAA   " + SpecSignature)]
    public void Unknown_versions_and_extra_spaces_are_ignored(string header)
    {
        var verifier = new StandardWebhooksVerifier([StandardWebhooksKey.Parse(SpecSecret)], Clock.At(SpecTimestamp));
        AssertResult.Valid(verifier.Verify(Bytes.Utf8(SpecBody), SpecHeaders(header)));
    }

    [Fact]
    public void Only_unknown_versions_is_a_mismatch_that_says_so()
    {
        var verifier = new StandardWebhooksVerifier([StandardWebhooksKey.Parse(SpecSecret)], Clock.At(SpecTimestamp));
        AssertResult.Fails(verifier.Verify(Bytes.Utf8(SpecBody), SpecHeaders("v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")),
            VerificationFailure.Mismatch, "no signature of a version the configured keys can check");
    }
}
