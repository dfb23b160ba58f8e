using System.Buffers;
using System.Globalization;
using System.Text;

namespace Switchboard.Events;

/// <summary>
/// Text that came in a request, made safe to print on a terminal or write into a log line. A character is unsafe
/// when a terminal or log viewer may act on it instead of showing it: Unicode's controls (Cc: C0, DEL, and C1 such as
/// U+0085 NEL and U+009B, the 8-bit CSI that starts an escape sequence), its format characters (Cf: the bidi
/// embeddings, overrides and isolates U+202A-202E and U+2066-2069, U+200E/F, zero-width characters, U+FEFF), the line
/// and paragraph separators U+2028 and U+2029, and lone surrogates. Each is written as <c>\uXXXX</c> (or
/// <c>\UXXXXXXXX</c> past the Basic Multilingual Plane); everything else is left as it is.
/// </summary>
public static class TerminalText
{
    // Printable ASCII: the common case, checked with one vectorised search.
    private static readonly SearchValues<char> PlainAscii = SearchValues.Create(Enumerable.Range(' ', '~' - ' ' + 1).Select(c => (char)c).ToArray());

    /// <summary>The text with every unsafe character escaped; the empty string for null.</summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        var first = IndexOfUnsafe(text);
        if (first < 0)
        {
            return text;
        }

        var escaped = new StringBuilder(text.Length + 16).Append(text, 0, first);
        for (var i = first; i < text.Length;)
        {
            if (Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out var consumed) != OperationStatus.Done)
            {
                AppendEscape(escaped, text[i]);
                i++;
                continue;
            }

            if (IsUnsafe(rune))
            {
                AppendEscape(escaped, rune.Value);
            }
            else
            {
                escaped.Append(text, i, consumed);
            }

            i += consumed;
        }

        return escaped.ToString();
    }

    /// <summary>
    /// Appends the escape <see cref="Escape"/> writes for one code point (or lone surrogate): <c>\uXXXX</c>, or
    /// <c>\UXXXXXXXX</c> past the Basic Multilingual Plane.
    /// </summary>
    public static StringBuilder AppendEscape(StringBuilder to, int codePoint) =>
        codePoint > 0xFFFF
            ? to.Append(CultureInfo.InvariantCulture, $"\\U{codePoint:X8}")
            : to.Append(CultureInfo.InvariantCulture, $"\\u{codePoint:X4}");

    /// <summary>True if <paramref name="text"/> holds a character <see cref="Escape"/> would escape.</summary>
    public static bool ContainsUnsafe(ReadOnlySpan<char> text) => IndexOfUnsafe(text) >= 0;

    /// <summary>Unicode categories Cc, Cf, Zl and Zp.</summary>
    public static bool IsUnsafe(Rune rune) => Rune.GetUnicodeCategory(rune) is
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;

    private static int IndexOfUnsafe(ReadOnlySpan<char> text)
    {
        var start = text.IndexOfAnyExcept(PlainAscii);
        if (start < 0)
        {
            return -1;
        }

        for (var i = start; i < text.Length;)
        {
            if (Rune.DecodeFromUtf16(text[i..], out var rune, out var consumed) != OperationStatus.Done || IsUnsafe(rune))
            {
                return i;
            }

            i += consumed;
        }

        return -1;
    }
}
