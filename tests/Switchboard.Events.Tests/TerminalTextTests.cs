using System.Globalization;
using System.Text;

namespace Switchboard.Events.Tests;

/// <summary>TerminalText escapes every character a terminal may act on, and leaves the rest as it is.</summary>
public sealed class TerminalTextTests
{
    [Theory]
    [InlineData("a\u0085b", "a\\u0085b")] // NEL
    [InlineData("a\u009b31mb", "a\\u009B31mb")] // 8-bit CSI
    [InlineData("\u001b[2J", "\\u001B[2J")] // ESC
    [InlineData("a\u202eb", "a\\u202Eb")] // right-to-left override
    [InlineData("a\u2066b\u2069", "a\\u2066b\\u2069")] // isolates
    [InlineData("a\u2028b\u2029", "a\\u2028b\\u2029")] // line and paragraph separators
    [InlineData("a\r\nb\tc\u007f", "a\\u000D\\u000Ab\\u0009c\\u007F")]
    [InlineData("\ufeffx\u200b", "\\uFEFFx\\u200B")]
    [InlineData("tag\U000E0041", "tag\\U000E0041")] // a format character past the BMP
    public void Escapes_controls_format_characters_and_separators(string text, string expected) =>
        Assert.Equal(expected, TerminalText.Escape(text));

    [Fact]
    public void Escapes_a_lone_surrogate()
    {
        // Built here: an attribute argument cannot carry a lone surrogate through metadata.
        var text = "lone " + (char)0xD800 + " surrogate";
        Assert.Equal("lone \\uD800 surrogate", TerminalText.Escape(text));
        Assert.True(TerminalText.ContainsUnsafe(text));
    }

    [Theory]
    [InlineData("message.received")]
    [InlineData("caf\u00e9 \u65e5\u672c \U0001F600 \u05e9\u05dc\u05d5\u05dd")] // letters, CJK, an emoji, Hebrew
    [InlineData("back\\slash")]
    [InlineData("")]
    public void Leaves_printable_text_as_it_is(string text)
    {
        Assert.Same(text, TerminalText.Escape(text));
        Assert.False(TerminalText.ContainsUnsafe(text));
    }

    [Fact]
    public void Every_Cc_Cf_Zl_and_Zp_character_of_the_BMP_is_escaped_and_nothing_else()
    {
        for (var c = 0; c <= 0xFFFF; c++)
        {
            if (c is >= 0xD800 and <= 0xDFFF)
            {
                continue;
            }

            var text = ((char)c).ToString();
            var category = CharUnicodeInfo.GetUnicodeCategory((char)c);
            var unsafeCategory = category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
            Assert.True(unsafeCategory == TerminalText.ContainsUnsafe(text), $"U+{c:X4} ({category})");
            Assert.Equal(unsafeCategory ? $"\\u{c:X4}" : text, TerminalText.Escape(text));
        }
    }

    [Fact]
    public void Escaped_text_holds_no_unsafe_character()
    {
        var all = new StringBuilder();
        for (var c = 0; c <= 0x3000; c++)
        {
            all.Append((char)c);
        }

        Assert.False(TerminalText.ContainsUnsafe(TerminalText.Escape(all.ToString())));
    }
}
