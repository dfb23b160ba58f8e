using System.Globalization;
using System.Text;
using Switchboard.Events;

namespace Switchboard.Web.Shared;

/// <summary>
/// Shows on a page what the console shows escaped (<see cref="TerminalText.IsUnsafe"/>): a bidi control, a zero-width
/// or other format character, a control character or a line separator in a name, a payload or a header is written as
/// <c>\u202E</c>, so text cannot look other than it is (a reversed file name, a URL with a hidden character). Tabs and
/// line breaks stay, for the layout of a pretty-printed body. Only text between tags is changed: attribute values
/// (a form field's value, an id in a link) keep their characters, so saving a form never rewrites a name.
/// </summary>
internal static class VisibleText
{
    /// <summary>The rendered page with every hidden character in its text shown escaped.</summary>
    /// <remarks>
    /// Razor's encoder writes every character past ASCII, and the controls, as a character reference (<c>&amp;#x202E;</c>);
    /// a character written as it is is read too. A tag's attribute values hold no <c>&gt;</c> (Razor encodes it), so the
    /// first one ends the tag.
    /// </remarks>
    public static string InHtml(string html)
    {
        StringBuilder? shown = null;
        var copied = 0;
        var inTag = false;
        for (var i = 0; i < html.Length; i++)
        {
            var c = html[i];
            if (inTag || c == '<')
            {
                inTag = c != '>';
                continue;
            }

            int value, length;
            if (c == '&')
            {
                if (!TryReadReference(html, i, out value, out length))
                {
                    continue;
                }
            }
            else if (c is (>= ' ' and <= '~') or '\t' or '\n' or '\r')
            {
                continue;
            }
            else if (char.IsHighSurrogate(c) && i + 1 < html.Length && char.IsLowSurrogate(html[i + 1]))
            {
                (value, length) = (char.ConvertToUtf32(c, html[i + 1]), 2);
            }
            else
            {
                (value, length) = (c, 1);
            }

            if (Hides(value))
            {
                shown ??= new StringBuilder(html.Length + 64);
                TerminalText.AppendEscape(shown.Append(html, copied, i - copied), value);
                copied = i + length;
            }

            i += length - 1;
        }

        return shown is null ? html : shown.Append(html, copied, html.Length - copied).ToString();
    }

    /// <summary>A character TerminalText escapes, but for the layout's tab and line breaks; a lone surrogate too.</summary>
    private static bool Hides(int value) =>
        !Rune.TryCreate(value, out var rune) || (TerminalText.IsUnsafe(rune) && value is not ('\t' or '\n' or '\r'));

    /// <summary>A numeric character reference at <paramref name="start"/> (<c>&amp;#x202E;</c> or <c>&amp;#8238;</c>).</summary>
    private static bool TryReadReference(string html, int start, out int value, out int length)
    {
        value = 0;
        length = 0;
        var i = start + 1;
        if (i >= html.Length || html[i] != '#')
        {
            return false;
        }

        var hex = ++i < html.Length && html[i] is 'x' or 'X';
        var digits = hex ? ++i : i;
        while (i < html.Length && i - digits < 8 && (hex ? char.IsAsciiHexDigit(html[i]) : char.IsAsciiDigit(html[i])))
        {
            i++;
        }

        if (i == digits || i >= html.Length || html[i] != ';'
            || !int.TryParse(html.AsSpan(digits, i - digits), hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out value))
        {
            return false;
        }

        length = i + 1 - start;
        return true;
    }
}
