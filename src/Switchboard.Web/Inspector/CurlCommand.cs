using System.Buffers;
using System.Globalization;
using System.Text;
using Switchboard.Events;
using Switchboard.Receiver;

namespace Switchboard.Web.Inspector;

/// <summary>
/// A recorded request as a <c>curl</c> command that sends it again: same method, path, headers (the signature among
/// them) and exact body bytes. Hop-by-hop and length headers are left to curl. Every word is quoted for a POSIX shell,
/// so nothing in the request is run by the shell; and the command carries no character a terminal acts on (see
/// <see cref="ShellWord"/>), so pasting it cannot end the terminal's bracketed paste or edit the line.
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
            text.Append("printf '%s' ").Append(ShellWord(Convert.ToBase64String(body))).Append(" | base64 -d | ");
        }

        text.Append("curl -sS -X POST ").Append(ShellWord(url));
        foreach (var (name, value) in request.Headers)
        {
            if (!LeftToCurl.Contains(name))
            {
                text.Append(" \\\n  -H ").Append(ShellWord($"{name}: {value}"));
            }
        }

        text.Append(" \\\n  --data-binary ").Append(binary ? "@-" : ShellWord(Encoding.UTF8.GetString(body)));
        return text.ToString();
    }

    /// <summary>
    /// One shell word that stands for <paramref name="value"/> exactly. In single quotes, the shell takes everything
    /// literally (a quote itself is closed, escaped and reopened). A value holding a character <see cref="TerminalText"/>
    /// escapes (a control such as ESC or Ctrl-U, a newline, a bidi control) is written as <c>$'...'</c> instead, each such
    /// character as the <c>\xHH</c> escapes of its UTF-8 bytes, which bash turns back into the same bytes.
    /// </summary>
    public static string ShellWord(string value)
    {
        if (!TerminalText.ContainsUnsafe(value))
        {
            return "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
        }

        var word = new StringBuilder("$'", value.Length + 16);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < value.Length;)
        {
            // A lone surrogate (no UTF-8 of its own) is sent as U+FFFD, as curl would be given it anyway.
            var rune = Rune.DecodeFromUtf16(value.AsSpan(i), out var decoded, out var consumed) == OperationStatus.Done ? decoded : Rune.ReplacementChar;
            i += consumed;
            if (rune.Value is '\\' or '\'')
            {
                word.Append('\\').Append((char)rune.Value);
            }
            else if (TerminalText.IsUnsafe(rune))
            {
                foreach (var b in utf8[..rune.EncodeToUtf8(utf8)])
                {
                    word.Append(CultureInfo.InvariantCulture, $"\\x{b:X2}");
                }
            }
            else
            {
                word.Append(rune.ToString());
            }
        }

        return word.Append('\'').ToString();
    }

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
