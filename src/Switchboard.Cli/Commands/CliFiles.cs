using System.Diagnostics.CodeAnalysis;
using Switchboard.Signing;

namespace Switchboard.Cli.Commands;

/// <summary>
/// Reading the files the verbs take ("-" means standard input). A file that is missing, unreadable or not a
/// key becomes one line on stderr naming it, not a stack trace.
/// </summary>
internal static class CliFiles
{
    public static bool TryReadBody(string path, TextWriter error, [NotNullWhen(true)] out byte[]? body)
    {
        try
        {
            body = path == "-" ? ReadStandardInput() : File.ReadAllBytes(path);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"cannot read the body: {ex.Message}");
            body = null;
            return false;
        }
    }

    /// <summary>
    /// Reads a private key file, refusing a public key given in its place: both are one line of base64 of 32 bytes,
    /// so a public key would parse as a private one and sign garbage. Caught when the file is named <c>*.pub</c>, or
    /// holds what the <c>.pub</c> file beside it holds (the pair <c>keys generate</c> writes).
    /// </summary>
    public static bool TryReadKey(FileInfo file, TextWriter error, [NotNullWhen(true)] out Ed25519PrivateKey? key)
    {
        key = null;
        var publicFile = Path.ChangeExtension(file.FullName, ".pub");
        if (file.Extension.Equals(".pub", StringComparison.OrdinalIgnoreCase)
            || (file.Exists && File.Exists(publicFile) && SameText(file.FullName, publicFile)))
        {
            error.WriteLine($"{file.FullName} is a public key; --key takes the private key file ({KeysCommand.PrivateKeyFile} from 'keys generate')");
            return false;
        }

        try
        {
            key = Ed25519PrivateKey.ReadFromFile(file.FullName);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            error.WriteLine($"cannot read the private key: {ex.Message}");
            key = null;
            return false;
        }
    }

    private static bool SameText(string a, string b)
    {
        try
        {
            return File.ReadAllText(a).Trim() == File.ReadAllText(b).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static byte[] ReadStandardInput()
    {
        using var stdin = Console.OpenStandardInput();
        using var buffer = new MemoryStream();
        stdin.CopyTo(buffer);
        return buffer.ToArray();
    }
}
