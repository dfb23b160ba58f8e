using Switchboard.Signing;

namespace Switchboard.Platform.Tests.Support;

public static class SinkRequestSignature
{
    /// <summary>Verifies the Ed25519 signature on the raw body, as a receiver must.</summary>
    public static bool VerifiesWith(this SinkRequest request, string publicKey) =>
        Ed25519WebhookVerifier.FromBase64([publicKey], TimeProvider.System).Verify(request.Body, new DictionaryHeaders(request.Headers)).IsValid;

    private sealed class DictionaryHeaders(IReadOnlyDictionary<string, string> headers) : IWebhookHeaders
    {
        public string? Get(string name) => headers.TryGetValue(name, out var value) ? value : null;
    }
}
