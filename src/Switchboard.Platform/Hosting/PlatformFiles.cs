using System.Security.Cryptography;
using Switchboard.DurableWork.Sqlite;
using Switchboard.Signing;

namespace Switchboard.Platform.Hosting;

/// <summary>
/// What the platform keeps in its data folder besides the database: the Ed25519 key pair webhooks are signed with
/// (<c>ed25519.key</c>, mode 0600, and <c>ed25519.pub</c>, the same files <c>switchboard keys generate</c> writes) and the
/// generated API key (<c>api-key</c>, mode 0600). Each is made on first start and reused after. Processes that start
/// together (an API and workers sharing the folder) make one each and keep whichever was written first: a file is
/// created complete under a temporary name, then moved into place only if none is there yet.
/// </summary>
public static class PlatformFiles
{
    public const string PrivateKeyFile = "ed25519.key";
    public const string PublicKeyFile = "ed25519.pub";
    public const string ApiKeyFile = "api-key";

    public static Ed25519PrivateKey LoadOrCreateSigningKey(string dataDirectory)
    {
        OwnerOnlyFiles.CreateDirectory(dataDirectory);
        var privatePath = Path.Combine(dataDirectory, PrivateKeyFile);
        if (!File.Exists(privatePath))
        {
            using var fresh = Ed25519PrivateKey.Generate();
            var temporary = TemporaryPath(privatePath);
            fresh.WriteToFile(temporary);
            Publish(temporary, privatePath);
        }

        var key = Ed25519PrivateKey.ReadFromFile(privatePath);
        var publicPath = Path.Combine(dataDirectory, PublicKeyFile);
        if (!File.Exists(publicPath))
        {
            var temporary = TemporaryPath(publicPath);
            File.WriteAllText(temporary, key.PublicKey.ToBase64() + "\n");
            Publish(temporary, publicPath);
        }

        return key;
    }

    /// <summary>The public key of a data folder's key pair (base64), for <c>switchboard keys show</c>; null if there is none yet.</summary>
    public static string? ReadPublicKey(string dataDirectory)
    {
        var privatePath = Path.Combine(dataDirectory, PrivateKeyFile);
        if (!File.Exists(privatePath))
        {
            return null;
        }

        using var key = Ed25519PrivateKey.ReadFromFile(privatePath);
        return key.PublicKey.ToBase64();
    }

    public static string LoadOrCreateApiKey(string dataDirectory)
    {
        OwnerOnlyFiles.CreateDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, ApiKeyFile);
        if (!File.Exists(path))
        {
            var temporary = TemporaryPath(path);
            using (var writer = new StreamWriter(temporary, OwnerOnlyFiles.Options(FileMode.CreateNew, FileAccess.Write, FileShare.Read)))
            {
                writer.Write("KEY" + Convert.ToHexString(RandomNumberGenerator.GetBytes(20)) + "\n");
            }

            Publish(temporary, path);
        }

        return File.ReadAllText(path).Trim();
    }

    private static string TemporaryPath(string path) => $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";

    /// <summary>Moves the finished file into place unless another process got there first (then its file is kept).</summary>
    private static void Publish(string temporary, string path)
    {
        try
        {
            File.Move(temporary, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temporary);
        }
    }
}
