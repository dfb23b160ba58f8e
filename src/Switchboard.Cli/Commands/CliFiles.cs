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

    public static bool TryReadKey(FileInfo file, TextWriter error, [NotNullWhen(true)] out Ed25519PrivateKey? key)
    {
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

    private static byte[] ReadStandardInput()
    {
        using var stdin = Console.OpenStandardInput();
        using var buffer = new MemoryStream();
        stdin.CopyTo(buffer);
        return buffer.ToArray();
    }
}
