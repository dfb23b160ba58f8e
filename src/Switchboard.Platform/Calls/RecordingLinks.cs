using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Switchboard.Platform.Calls;

/// <summary>
/// Pre-signed links to a recording's audio, as Telnyx's <c>recording_urls</c> are: they work without the API key, for
/// <see cref="Lifetime"/>. The signature is an HMAC over the file name and the expiry, keyed from the platform's signing
/// key, so every process of a deployment (which share the key pair) makes and accepts the same links.
/// </summary>
public sealed class RecordingLinks
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);

    public const string PathPrefix = "/_switchboard/recordings/";

    private readonly byte[] _key;
    private readonly PlatformOptions _options;
    private readonly TimeProvider _time;

    public RecordingLinks(PlatformOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _key = SHA256.HashData([.. "switchboard-recordings:"u8, .. options.SigningKey!.Export()]);
    }

    /// <summary>The link to <c>{id}.{extension}</c>, valid for <see cref="Lifetime"/>.</summary>
    public string For(string recordingId, string extension)
    {
        var file = $"{recordingId}.{extension}";
        var expires = (_time.GetUtcNow() + Lifetime).ToUnixTimeSeconds();
        return $"{_options.PublicBaseUrl.TrimEnd('/')}{PathPrefix}{file}?expires={expires.ToString(CultureInfo.InvariantCulture)}&signature={Sign(file, expires)}";
    }

    /// <summary>Whether a link's query is genuine and not expired.</summary>
    public bool IsValid(string file, string? expires, string? signature)
    {
        if (!long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var at) || signature is null
            || at < _time.GetUtcNow().ToUnixTimeSeconds())
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(file, at)), Encoding.ASCII.GetBytes(signature));
    }

    private string Sign(string file, long expires) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"{file}:{expires.ToString(CultureInfo.InvariantCulture)}")));
}
