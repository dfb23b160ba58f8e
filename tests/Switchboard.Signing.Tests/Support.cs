using System.Text;
using Microsoft.Extensions.Time.Testing;

namespace Switchboard.Signing.Tests;

internal static class Clock
{
    /// <summary>A fake clock standing still at the given Unix second.</summary>
    public static FakeTimeProvider At(long unixSeconds) => new(DateTimeOffset.FromUnixTimeSeconds(unixSeconds));

    public static FakeTimeProvider AtMilliseconds(long unixMilliseconds) => new(DateTimeOffset.FromUnixTimeMilliseconds(unixMilliseconds));
}

internal static class Bytes
{
    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    public static byte[] WithByteFlipped(byte[] source, int index, byte mask = 0x01)
    {
        var copy = (byte[])source.Clone();
        copy[index] ^= mask;
        return copy;
    }
}

internal static class Headers
{
    public static WebhookHeaders Of(params (string Name, string Value)[] headers)
    {
        var result = new WebhookHeaders();
        foreach (var (name, value) in headers)
        {
            result.Set(name, value);
        }

        return result;
    }

    /// <summary>The two Telnyx headers (shared by the Ed25519 and seed HMAC schemes); a null value leaves the header out.</summary>
    public static WebhookHeaders Telnyx(string? timestamp, string? signature)
    {
        var headers = new WebhookHeaders();
        if (timestamp is not null)
        {
            headers.Set(TelnyxHeaders.Timestamp, timestamp);
        }

        if (signature is not null)
        {
            headers.Set(TelnyxHeaders.Signature, signature);
        }

        return headers;
    }

    public static WebhookHeaders From(IEnumerable<KeyValuePair<string, string>> headers) => new(headers);

    public static string Value(IEnumerable<KeyValuePair<string, string>> headers, string name) =>
        headers.Single(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
}

internal static class AssertResult
{
    public static void Valid(VerificationResult result) =>
        Assert.True(result.IsValid, $"expected a valid signature, got {result}");

    /// <summary>Asserts the failure reason and that the detail names each of <paramref name="detailParts"/>.</summary>
    public static void Fails(VerificationResult result, VerificationFailure expected, params string[] detailParts)
    {
        Assert.False(result.IsValid, $"expected {expected}, but the webhook verified");
        Assert.Equal(expected, result.Failure);
        Assert.False(string.IsNullOrWhiteSpace(result.Detail), "a failure must say why");
        foreach (var part in detailParts)
        {
            Assert.Contains(part, result.Detail, StringComparison.OrdinalIgnoreCase);
        }
    }
}
