using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Switchboard.Events;

namespace Switchboard.Web.Shared;

/// <summary>
/// Shows on a page what the console shows escaped (<see cref="TerminalText.IsUnsafe"/>): a bidi control, a zero-width
/// or other format character, a control character or a line separator in a name, a payload or a header is written as
/// <c>\u202E</c>, so text cannot look other than it is (a reversed file name, a URL with a hidden character). Tabs and
/// line breaks stay, for the layout of a pretty-printed body. Only text between tags is changed: attribute values
/// (a form field's value, an id in a link) keep their characters, so saving a form never rewrites a name.
/// </summary>
internal static partial class VisibleText
{
    /// <summary>The rendered page with every hidden character in its text shown escaped.</summary>
    public static string InHtml(string html)
    {
        // Razor's encoder writes every character past ASCII, and the controls, as a character reference (&#x202E;).
        var plain = html.AsSpan().IndexOfAnyExcept(PlainAscii) < 0 && !html.Contains("&#", StringComparison.Ordinal);
        return plain ? html : TagOrText().Replace(html, match => match.Value[0] == '<' ? match.Value : InText(match.Value));
    }

    private static readonly SearchValues<char> PlainAscii = SearchValues.Create(
        "\t\n\r" + string.Concat(Enumerable.Range(' ', '~' - ' ' + 1).Select(c => (char)c)));

    private static string InText(string text) => CharacterReference().Replace(text, match =>
    {
        var (hex, dec, raw) = (match.Groups["hex"], match.Groups["dec"], match.Groups["raw"].Value);
        var value = hex.Success ? int.Parse(hex.Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture)
            : dec.Success ? int.Parse(dec.Value, CultureInfo.InvariantCulture)
            : raw.Length == 2 ? char.ConvertToUtf32(raw[0], raw[1])
            : raw[0]; // a lone surrogate too: no rune, so escaped below
        return Rune.TryCreate(value, out var rune) && (!TerminalText.IsUnsafe(rune) || rune.Value is '\t' or '\n' or '\r')
            ? match.Value
            : value > 0xFFFF ? string.Create(CultureInfo.InvariantCulture, $"\\U{value:X8}") : string.Create(CultureInfo.InvariantCulture, $"\\u{value:X4}");
    });

    // A tag (its attribute values hold no '>': Razor encodes it) or the text up to the next one.
    [GeneratedRegex("<[^>]*>|[^<]+")]
    private static partial Regex TagOrText();

    // A character reference, or a character written as it is: a control, or any past ASCII (a surrogate pair as one).
    [GeneratedRegex(@"&#(?:x(?<hex>[0-9A-Fa-f]{1,6})|(?<dec>[0-9]{1,7}));|(?<raw>[\uD800-\uDBFF][\uDC00-\uDFFF]|[^\u0020-\u007E])")]
    private static partial Regex CharacterReference();
}
