using System.Diagnostics.CodeAnalysis;
using NSec.Cryptography;

namespace Switchboard.Signing;

/// <summary>
/// An Ed25519 public key: what a Telnyx customer copies from the portal, as base64 of the raw 32 bytes.
/// </summary>
public sealed class Ed25519PublicKey
{
    public const int Length = 32;
    public const int SignatureLength = 64;

    private static readonly SignatureAlgorithm Algorithm = SignatureAlgorithm.Ed25519;

    private Ed25519PublicKey(PublicKey key) => Key = key;

    internal PublicKey Key { get; }

    public static bool TryImport(ReadOnlySpan<byte> raw, [NotNullWhen(true)] out Ed25519PublicKey? key, [NotNullWhen(false)] out string? error)
    {
        key = null;
        if (raw.Length != Length)
        {
            error = $"an Ed25519 public key is {Length} bytes; got {raw.Length}";
            return false;
        }

        if (!PublicKey.TryImport(Algorithm, raw, KeyBlobFormat.RawPublicKey, out var imported) || imported is null)
        {
            error = "not a valid Ed25519 public key";
            return false;
        }

        key = new Ed25519PublicKey(imported);
        error = null;
        return true;
    }

    /// <summary>Parses base64 of the raw 32 bytes. Never throws.</summary>
    public static bool TryParse(string? base64, [NotNullWhen(true)] out Ed25519PublicKey? key, [NotNullWhen(false)] out string? error)
    {
        key = null;
        var trimmed = base64?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            error = "the public key is empty";
            return false;
        }

        Span<byte> raw = stackalloc byte[64];
        if (trimmed.Length > 88 || !Convert.TryFromBase64String(trimmed, raw, out var written))
        {
            error = "the public key is not base64 of 32 bytes";
            return false;
        }

        return TryImport(raw[..written], out key, out error);
    }

    /// <summary>Parses base64 of the raw 32 bytes; throws <see cref="FormatException"/> naming the problem.</summary>
    public static Ed25519PublicKey Parse(string base64) =>
        TryParse(base64, out var key, out var error) ? key : throw new FormatException(error);

    public byte[] Export() => Key.Export(KeyBlobFormat.RawPublicKey);

    public string ToBase64() => Convert.ToBase64String(Export());

    public override string ToString() => ToBase64();

    /// <summary>Verifies a bare Ed25519 signature over <paramref name="data"/>.</summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        signature.Length == SignatureLength && Algorithm.Verify(Key, data, signature);
}

/// <summary>
/// An Ed25519 private key (the 32-byte seed), as the platform holds it to sign webhooks. Files hold it as one
/// line of base64 and are created with mode 0600.
/// </summary>
public sealed class Ed25519PrivateKey : IDisposable
{
    public const int Length = 32;

    private static readonly SignatureAlgorithm Algorithm = SignatureAlgorithm.Ed25519;

    private readonly Key _key;

    private Ed25519PrivateKey(Key key)
    {
        _key = key;
        PublicKey = Ed25519PublicKey.TryImport(key.PublicKey.Export(KeyBlobFormat.RawPublicKey), out var pub, out _)
            ? pub
            : throw new InvalidOperationException("libsodium produced an unusable public key");
    }

    public Ed25519PublicKey PublicKey { get; }

    public static Ed25519PrivateKey Generate() => new(Key.Create(Algorithm, Exportable()));

    public static bool TryImport(ReadOnlySpan<byte> seed, [NotNullWhen(true)] out Ed25519PrivateKey? key, [NotNullWhen(false)] out string? error)
    {
        key = null;
        if (seed.Length != Length)
        {
            error = $"an Ed25519 private key is {Length} bytes (the seed); got {seed.Length}";
            return false;
        }

        var parameters = Exportable();
        if (!Key.TryImport(Algorithm, seed, KeyBlobFormat.RawPrivateKey, out var imported, in parameters) || imported is null)
        {
            error = "not a valid Ed25519 private key";
            return false;
        }

        key = new Ed25519PrivateKey(imported);
        error = null;
        return true;
    }

    public static bool TryParse(string? base64, [NotNullWhen(true)] out Ed25519PrivateKey? key, [NotNullWhen(false)] out string? error)
    {
        key = null;
        var trimmed = base64?.Trim();
        Span<byte> raw = stackalloc byte[96];
        if (string.IsNullOrEmpty(trimmed) || trimmed.Length > 128 || !Convert.TryFromBase64String(trimmed, raw, out var written))
        {
            error = "the private key is not base64 of 32 bytes";
            return false;
        }

        var ok = TryImport(raw[..written], out key, out error);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(raw);
        return ok;
    }

    public static Ed25519PrivateKey Parse(string base64) =>
        TryParse(base64, out var key, out var error) ? key : throw new FormatException(error);

    /// <summary>Reads a key file written by <see cref="WriteToFile"/> (one line of base64).</summary>
    public static Ed25519PrivateKey ReadFromFile(string path)
    {
        var text = File.ReadAllText(path);
        return TryParse(text, out var key, out var error) ? key : throw new FormatException($"{path}: {error}");
    }

    /// <summary>Writes the key as one line of base64 to a new file readable by its owner only (0600).</summary>
    public void WriteToFile(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(path, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(ExportBase64());
            writer.Write('\n');
        }

        if (!OperatingSystem.IsWindows())
        {
            // The create mode is filtered by the umask; set it outright so the file is exactly 0600.
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    public byte[] Export() => _key.Export(KeyBlobFormat.RawPrivateKey);

    private static KeyCreationParameters Exportable() => new() { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };

    public string ExportBase64() => Convert.ToBase64String(Export());

    public byte[] Sign(ReadOnlySpan<byte> data) => Algorithm.Sign(_key, data);

    public void Sign(ReadOnlySpan<byte> data, Span<byte> signature) => Algorithm.Sign(_key, data, signature);

    public void Dispose() => _key.Dispose();
}
