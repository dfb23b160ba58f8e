using System.Text;
using NSec.Cryptography;
using Switchboard.Signing;

namespace Switchboard.Benchmarks;

/// <summary>
/// One webhook signed as Telnyx signs it, with the pieces both sides of a comparison need: our types for
/// the full path, and NSec keys and the precomputed signed bytes for the bare calls.
/// </summary>
internal sealed class WebhookFixture : IDisposable
{
    public const int BodyLength = 600;

    // A fixed seed so every run signs with the same key (the bytes are arbitrary).
    private static readonly byte[] Seed = [.. Enumerable.Range(1, Ed25519PrivateKey.Length).Select(i => (byte)(i * 7))];

    public WebhookFixture(DateTimeOffset signedAt)
    {
        SignedAt = signedAt;
        Body = SampleBody(BodyLength);
        PrivateKey = Ed25519PrivateKey.TryImport(Seed, out var key, out var error) ? key : throw new InvalidOperationException(error);
        NSecPrivateKey = Key.Import(SignatureAlgorithm.Ed25519, Seed, KeyBlobFormat.RawPrivateKey);
        NSecPublicKey = NSecPrivateKey.PublicKey;

        var (signature, timestamp) = new Ed25519WebhookSigner(PrivateKey).SignParts(Body, signedAt);
        Headers = new WebhookHeaders()
            .Set(TelnyxHeaders.Timestamp, timestamp)
            .Set(TelnyxHeaders.Signature, signature);
        SignedBytes = [.. Encoding.UTF8.GetBytes(timestamp + "|"), .. Body];
        Signature = Convert.FromBase64String(signature);
    }

    public DateTimeOffset SignedAt { get; }

    public byte[] Body { get; }

    public WebhookHeaders Headers { get; }

    public Ed25519PrivateKey PrivateKey { get; }

    public Key NSecPrivateKey { get; }

    public PublicKey NSecPublicKey { get; }

    /// <summary><c>{timestamp}|{body}</c>, what the bare calls sign and verify.</summary>
    public byte[] SignedBytes { get; }

    public byte[] Signature { get; }

    /// <summary>A compact message.received webhook, its text padded so the UTF-8 body is exactly <paramref name="length"/> bytes.</summary>
    private static byte[] SampleBody(int length)
    {
        const string Template =
            """{"data":{"event_type":"message.received","id":"0ccc7b54-4df3-4bcf-a65a-3d7dde5e7f6e","occurred_at":"2025-10-24T18:15:00.000Z","record_type":"event","payload":{"id":"b2b0fd5e-8c0b-4a62-9b5c-1f2d1a6c7e33","record_type":"message","direction":"inbound","type":"SMS","from":{"phone_number":"+18665550001","carrier":"T-MOBILE USA, INC.","line_type":"Wireless"},"to":[{"phone_number":"+18445550001","status":"webhook_delivered"}],"text":"{TEXT}","received_at":"2025-10-24T18:15:00.000Z"}},"meta":{"attempt":1,"delivered_to":"https://example.com/webhooks/telnyx"}}""";
        var padding = length - Encoding.UTF8.GetByteCount(Template.Replace("{TEXT}", string.Empty, StringComparison.Ordinal));
        var body = Encoding.UTF8.GetBytes(Template.Replace("{TEXT}", new string('x', padding), StringComparison.Ordinal));
        return body.Length == length ? body : throw new InvalidOperationException($"sample body is {body.Length} bytes, not {length}");
    }

    public void Dispose()
    {
        PrivateKey.Dispose();
        NSecPrivateKey.Dispose();
    }
}
