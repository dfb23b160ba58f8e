using System.Text;
using Switchboard.Receiver;

namespace Switchboard.Web.Inspector;

/// <summary>
/// A recorded request as a <c>curl</c> command that sends it again: same method, path, headers (the signature among
/// them) and exact body bytes. Hop-by-hop and length headers are left to curl. Everything is single-quoted for a POSIX
/// shell, so nothing in the request is run by the shell.
/// </summary>
internal static class CurlCommand
{
    private static readonly HashSet<string> LeftToCurl = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Expect", "Upgrade", "TE", "Trailer", "Proxy-Connection",
    };

    public static string For(RecordedRequest request, string url)
    {
        var text = new StringBuilder();
        var body = request.Body;
        var binary = !IsPlainText(body);
        if (binary)
        {
            // Bytes a shell string cannot hold (not UTF-8, or NUL): carried in base64 and decoded on the way in.
            text.Append("printf '%s' ").Append(Quote(Convert.ToBase64String(body))).Append(" | base64 -d | ");
        }

        text.Append("curl -sS -X POST ").Append(Quote(url));
        foreach (var (name, value) in request.Headers)
        {
            if (!LeftToCurl.Contains(name))
            {
                text.Append(" \\\n  -H ").Append(Quote($"{name}: {value}"));
            }
        }

        text.Append(" \\\n  --data-binary ").Append(binary ? "@-" : Quote(Encoding.UTF8.GetString(body)));
        return text.ToString();
    }

    /// <summary>Single quotes: the shell takes everything inside literally; a quote itself is closed, escaped and reopened.</summary>
    public static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static bool IsPlainText(byte[] body)
    {
        if (Array.IndexOf(body, (byte)0) >= 0)
        {
            return false;
        }

        try
        {
            _ = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(body);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
