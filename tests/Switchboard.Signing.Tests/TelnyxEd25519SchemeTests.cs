using System.Text;

namespace Switchboard.Signing.Tests;

/// <summary>The Telnyx scheme's wire format: which bytes are signed and how the headers look.</summary>
public sealed class TelnyxEd25519SchemeTests
{
    internal const string Seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    internal const long Now = 1614265330;
    internal const string Body = """{"data":{"event_type":"message.sent","id":"0b6b3b1e-5d3e-4b38-9d67-0ad0b0f0c2a1"}}""";

    /// <summary>node:crypto's Ed25519 over "1614265330|" + <see cref="Body"/> with the RFC 8032 test 1 seed.</summary>
    internal const string NodeSignature = "E/MKQHR9HZ41/Vx5Zx+8K9TS51Ib0Bh1lCA2j1SoI5tWda2Q82ZhlIm8+Y9twqfPIG5BNRBChvJouBo1yIYZBA==";

    internal static Ed25519PrivateKey Key() => Ed25519PrivateKey.Parse(Convert.ToBase64String(Convert.FromHexString(Seed)));

    [Fact]
    public void Signer_produces_what_node_crypto_produces_for_the_same_key_timestamp_and_body()
    {
        using var key = Key();
        var headers = new Ed25519WebhookSigner(key).Sign(Bytes.Utf8(Body), DateTimeOffset.FromUnixTimeSeconds(Now), "ignored");

        Assert.Equal(
            [new(TelnyxHeaders.Timestamp, "1614265330"), new(TelnyxHeaders.Signature, NodeSignature)],
            headers);
    }

    [Fact]
    public void Header_names_are_exactly_the_telnyx_ones()
    {
        Assert.Equal("telnyx-signature-ed25519", TelnyxHeaders.Signature);
        Assert.Equal("telnyx-timestamp", TelnyxHeaders.Timestamp);
    }

    [Fact]
    public void Signed_bytes_are_the_timestamp_a_pipe_and_the_raw_body()
    {
        using var key = Ed25519PrivateKey.Generate();
        var body = Bytes.Utf8("{\"data\": {\"text\": \"caf\u00e9 \\u00e9\"}}\n");
        var (signature, timestamp) = new Ed25519WebhookSigner(key).SignParts(body, DateTimeOffset.FromUnixTimeSeconds(Now).AddMilliseconds(999));

        Assert.Equal("1614265330", timestamp);
        var decoded = Convert.FromBase64String(signature);
        Assert.Equal(64, decoded.Length);

        byte[] signed = [.. Encoding.ASCII.GetBytes(timestamp), (byte)'|', .. body];
        Assert.True(key.PublicKey.Verify(signed, decoded));

        Assert.False(key.PublicKey.Verify(body, decoded), "the body alone must not be what is signed");
        Assert.False(key.PublicKey.Verify([.. Encoding.ASCII.GetBytes(timestamp), (byte)'.', .. body], decoded), "'.' is the seed scheme's separator");
        Assert.False(key.PublicKey.Verify([.. Encoding.ASCII.GetBytes(timestamp + "000"), (byte)'|', .. body], decoded), "the timestamp is in seconds");
    }

    [Fact]
    public void Sign_and_SignParts_agree()
    {
        using var key = Key();
        var signer = new Ed25519WebhookSigner(key);
        var at = DateTimeOffset.FromUnixTimeSeconds(Now);
        var headers = signer.Sign(Bytes.Utf8(Body), at, "id");
        var (signature, timestamp) = signer.SignParts(Bytes.Utf8(Body), at);

        Assert.Equal(timestamp, Headers.Value(headers, TelnyxHeaders.Timestamp));
        Assert.Equal(signature, Headers.Value(headers, TelnyxHeaders.Signature));
        Assert.Equal(SignatureScheme.Ed25519, signer.Scheme);
    }

    [Fact]
    public void Verifier_accepts_the_node_crypto_signature()
    {
        using var key = Key();
        var verifier = new Ed25519WebhookVerifier([key.PublicKey], Clock.At(Now));

        AssertResult.Valid(verifier.Verify(Bytes.Utf8(Body), Headers.Of(
            (TelnyxHeaders.Timestamp, "1614265330"), (TelnyxHeaders.Signature, NodeSignature))));
    }

    [Theory]
    [InlineData("Telnyx-Signature-Ed25519", "Telnyx-Timestamp")]
    [InlineData("TELNYX-SIGNATURE-ED25519", "TELNYX-TIMESTAMP")]
    [InlineData("telnyx-signature-ed25519", "telnyx-timestamp")]
    public void Header_lookup_is_case_insensitive(string signatureName, string timestampName)
    {
        using var key = Key();
        var verifier = Ed25519WebhookVerifier.FromBase64([key.PublicKey.ToBase64()], Clock.At(Now));

        AssertResult.Valid(verifier.Verify(Bytes.Utf8(Body), Headers.From(
            [new(timestampName, "1614265330"), new(signatureName, NodeSignature)])));
        AssertResult.Valid(verifier.Verify(Bytes.Utf8(Body), Headers.Of((timestampName, "1614265330"), (signatureName, NodeSignature))));
    }

    [Fact]
    public void Default_tolerance_is_five_minutes()
    {
        using var key = Key();
        Assert.Equal(TimeSpan.FromSeconds(300), new Ed25519WebhookVerifier([key.PublicKey]).Tolerance);
        Assert.Equal(SignatureScheme.Ed25519, new Ed25519WebhookVerifier([key.PublicKey]).Scheme);
    }
}
